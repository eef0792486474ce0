"""Registry failures become clear `RegistryError`s; transient ones are retried.

A fault-injecting proxy stands in front of the real registry and answers 500,
429, hangs, drops the connection, or corrupts / truncates bodies.
"""

from __future__ import annotations

import socket
import time

import pytest

from konflux.engine.oci import DigestMismatchError, RegistryError, RetryPolicy

NO_RETRY = RetryPolicy(max_retry=0)


@pytest.fixture
def pushed(fault_proxy, oci):
    """An image pushed through the (still healthy) proxy; returns (ref, build)."""
    return oci.push_image(fault_proxy.ref("faults/app", "v1"), {"etc/config": b"x=1\n"})


def test_500_then_recovery_is_retried(fault_proxy, pushed, sync_registry_factory):
    ref, build = pushed
    fault_proxy.inject("500", times=2)
    sync = sync_registry_factory()
    assert sync.manifest(ref).raw == build.raw
    assert fault_proxy.hits == 2


def test_persistent_500_is_an_error_with_status(fault_proxy, pushed, sync_registry_factory):
    ref, _ = pushed
    fault_proxy.inject("500")
    with pytest.raises(RegistryError) as caught:
        sync_registry_factory().manifest(ref)
    assert caught.value.status == 500
    assert str(caught.value).startswith(f"{ref}: injected server error (500)")
    assert "after 2 retries" in str(caught.value)
    assert fault_proxy.hits == 3  # the first try and two retries


def test_429_then_recovery_is_retried(fault_proxy, pushed, sync_registry_factory):
    ref, build = pushed
    fault_proxy.inject("429", times=1, path_part="/blobs/")
    config = sync_registry_factory().image_config(ref)
    assert config == build.config
    assert fault_proxy.hits == 1


def test_persistent_429_reports_too_many_requests(fault_proxy, pushed, sync_registry_factory):
    ref, _ = pushed
    fault_proxy.inject("429")
    with pytest.raises(RegistryError, match=r"too many requests \(429\)"):
        sync_registry_factory().manifest(ref)


def test_hanging_registry_times_out(fault_proxy, pushed, sync_registry_factory):
    ref, _ = pushed
    fault_proxy.inject("hang")
    sync = sync_registry_factory(timeout=0.3, retry=NO_RETRY)
    start = time.monotonic()
    with pytest.raises(RegistryError, match=r"timed out after 0.3s talking to 127.0.0.1:\d+"):
        sync.manifest(ref)
    assert time.monotonic() - start < 5


def test_dropped_connection_is_an_error(fault_proxy, pushed, sync_registry_factory):
    ref, _ = pushed
    fault_proxy.inject("drop")
    with pytest.raises(RegistryError, match="dropped before a response"):
        sync_registry_factory().manifest(ref)
    # Three tries; aiohttp itself may retry a request once on a dropped pooled connection.
    assert 3 <= fault_proxy.hits <= 6


def test_dropped_connection_once_is_retried(fault_proxy, pushed, sync_registry_factory):
    ref, build = pushed
    fault_proxy.inject("drop", times=1)
    assert sync_registry_factory().manifest(ref).raw == build.raw


def test_corrupted_blob_is_detected(fault_proxy, pushed, sync_registry_factory):
    ref, build = pushed
    layer = build.manifest["layers"][0]["digest"]
    fault_proxy.inject("corrupt", path_part="/blobs/")
    with pytest.raises(DigestMismatchError) as caught:
        sync_registry_factory().blob(ref.by_digest(layer))
    assert f"blob {layer} digest mismatch" in str(caught.value)
    assert str(caught.value).startswith(f"{ref.context}@{layer}: ")


def test_corrupted_manifest_fetched_by_digest_is_detected(
    fault_proxy, pushed, sync_registry_factory
):
    ref, _ = pushed
    fault_proxy.inject("corrupt", path_part="/manifests/")
    with pytest.raises(DigestMismatchError, match="manifest digest mismatch"):
        sync_registry_factory().manifest(ref.by_digest(ref.digest))


@pytest.mark.usefixtures("pushed")
def test_corrupted_manifest_fetched_by_tag_is_detected(fault_proxy, sync_registry_factory):
    # The registry's Docker-Content-Digest header still names the true digest.
    fault_proxy.inject("corrupt", path_part="/manifests/")
    sync = sync_registry_factory()
    with pytest.raises(DigestMismatchError, match="manifest digest mismatch"):
        sync.run(sync.client.get_manifest(fault_proxy.ref("faults/app", "v1")))


def test_truncated_blob_is_an_error(fault_proxy, pushed, sync_registry_factory):
    ref, build = pushed
    layer = build.manifest["layers"][0]["digest"]
    fault_proxy.inject("truncate", path_part="/blobs/")
    with pytest.raises(RegistryError, match="closed before the body was complete"):
        sync_registry_factory().blob(ref.by_digest(layer))


def test_truncated_blob_once_is_retried(fault_proxy, pushed, sync_registry_factory):
    ref, build = pushed
    layer = build.manifest["layers"][0]["digest"]
    fault_proxy.inject("truncate", times=1, path_part="/blobs/")
    assert sync_registry_factory().blob(ref.by_digest(layer)) == build.blobs[layer]


def test_connection_refused_names_the_host(sync_registry_factory):
    with socket.socket() as s:  # a port nobody listens on once this socket is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RegistryError) as caught:
        sync_registry_factory(retry=NO_RETRY).manifest(f"127.0.0.1:{port}/x/y:1")
    assert str(caught.value) == (f"127.0.0.1:{port}/x/y:1: connection refused by 127.0.0.1:{port}")
    assert caught.value.status is None
