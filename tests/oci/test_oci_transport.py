"""TLS by default; plain HTTP only for loopback hosts or hosts declared insecure."""

from __future__ import annotations

import pytest

from konflux.engine.oci import (
    InsecureRegistryError,
    RegistryClient,
    build_image,
    parse_reference,
)
from konflux.engine.oci.auth import StaticCredentials

TEST_NAME = "registry.konflux.test"


@pytest.mark.parametrize(
    ("registry", "insecure", "scheme"),
    [
        ("quay.io", (), "https"),
        ("10.1.2.3:5000", (), "https"),
        ("localhost:5000", (), "http"),
        ("127.0.0.1:5000", (), "http"),
        ("[::1]:5000", (), "http"),
        ("registry.internal:5000", ("registry.internal:5000",), "http"),
        ("registry.internal:5000", ("registry.internal",), "http"),
        ("registry.internal:5000", ("other.internal",), "https"),
    ],
)
def test_scheme_rules(registry, insecure, scheme):
    client = RegistryClient(credentials=StaticCredentials(), insecure=insecure)
    assert client.scheme(registry) == scheme


def test_tls_registry_trusted_by_our_ca(tls_registry, loopback_resolver, sync_registry_factory):
    sync = sync_registry_factory(
        ssl_context=tls_registry.tls.ssl_context(), resolver=loopback_resolver
    )
    ref = parse_reference(f"{TEST_NAME}:{tls_registry.port}/tls/app:v1")
    build_ref, build = _push(sync, ref)
    assert build_ref.digest == build.digest
    assert sync.manifest(ref).raw == build.raw
    assert sync.image_config(ref) == build.config


def test_tls_registry_with_an_untrusted_certificate_is_refused(
    tls_registry, loopback_resolver, sync_registry_factory
):
    sync = sync_registry_factory(resolver=loopback_resolver)  # system trust only
    ref = f"{TEST_NAME}:{tls_registry.port}/tls/app:v1"
    with pytest.raises(InsecureRegistryError) as caught:
        sync.manifest(ref)
    assert "certificate verify failed" in str(caught.value).lower()
    assert str(caught.value).startswith(f"{ref}: TLS with {TEST_NAME}:{tls_registry.port} failed")


def test_plain_http_registry_by_a_non_loopback_name_is_refused(
    registry, loopback_resolver, oci, sync_registry_factory
):
    oci.push_image(registry.ref("plain/app", "v1"))
    name = f"{TEST_NAME}:{registry.port}"
    sync = sync_registry_factory(resolver=loopback_resolver)
    with pytest.raises(InsecureRegistryError) as caught:
        sync.manifest(f"{name}/plain/app:v1")
    assert f"allow it with --insecure-registry {name}" in str(caught.value)


def test_plain_http_allowed_for_a_host_declared_insecure(
    registry, loopback_resolver, oci, sync_registry_factory
):
    _, build = oci.push_image(registry.ref("plain/ok", "v1"))
    name = f"{TEST_NAME}:{registry.port}"
    sync = sync_registry_factory(resolver=loopback_resolver, insecure=[name])
    assert sync.manifest(f"{name}/plain/ok:v1").raw == build.raw


def _push(sync, ref):
    build = build_image({"hello": b"tls"}, labels={"tls": "yes"})
    return sync.run(build.push(sync.client, ref)), build


def test_redirects_are_followed_on_loopback(registry, fault_proxy, oci, sync_registry_factory):
    ref, build = oci.push_image(fault_proxy.ref("redirect/app", "v1"))
    fault_proxy.redirect_to = registry.url
    fault_proxy.inject("redirect", path_part="/blobs/")
    layer = build.manifest["layers"][0]["digest"]
    assert sync_registry_factory().blob(ref.by_digest(layer)) == build.blobs[layer]
    assert fault_proxy.hits == 1


def test_redirect_to_plain_http_elsewhere_is_refused(
    registry, fault_proxy, loopback_resolver, oci, sync_registry_factory
):
    ref, build = oci.push_image(fault_proxy.ref("redirect/down", "v1"))
    fault_proxy.redirect_to = f"http://{TEST_NAME}:{registry.port}"
    fault_proxy.inject("redirect", path_part="/blobs/")
    layer = build.manifest["layers"][0]["digest"]
    sync = sync_registry_factory(resolver=loopback_resolver)
    with pytest.raises(InsecureRegistryError, match=f"refusing plain HTTP to {TEST_NAME}"):
        sync.blob(ref.by_digest(layer))
