"""Cluster references as `ec` takes them, read from an emulated API server."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from aiohttp import web
from click.testing import CliRunner
from cluster_support import CONTEXT_NAMESPACE
from image_support import IMAGE_SPEC

from konflux.cli import cluster_refs
from konflux.cli.main import cli
from konflux.engine.sigstore import generate_key_pair
from konflux.engine.sigstore.keys import load_public_key

SPEC = IMAGE_SPEC


def validate(*args: str):
    return CliRunner().invoke(cli, ["validate", "image", "--ignore-rekor", "-o", "json", *args])


def test_policy_and_public_key_come_from_the_cluster(emulated_cluster, publisher, signer):
    ref = publisher.release_ready("cluster/ok", signer)
    emulated_cluster.policy("enterprise-contract-service", "default", SPEC)
    emulated_cluster.secret(
        "openshift-pipelines", "public-key", {"cosign.pub": signer.public_pem.encode()}
    )
    result = validate(
        "--image", str(ref), "--policy", "enterprise-contract-service/default",
        "--public-key", "k8s://openshift-pipelines/public-key",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["success"] is True
    assert doc["key"] == signer.public_pem
    assert doc["policy"]["publicKey"] == "k8s://openshift-pipelines/public-key"


def test_a_cluster_policy_is_taken_as_the_api_server_admitted_it(
    emulated_cluster, publisher, signer
):
    """String patterns are the API server's to check (ec does not check them again): an
    imageUrl with a port, which the CRD's pattern refuses, still filters."""
    ref = publisher.release_ready("cluster/pattern", signer)
    spec = json.loads(json.dumps(SPEC))
    spec["sources"][0]["volatileConfig"] = {"exclude": [{"value": "test", "imageUrl": ref.context}]}
    emulated_cluster.policy(CONTEXT_NAMESPACE, "ported", spec)
    emulated_cluster.secret(
        CONTEXT_NAMESPACE, "signing", {"cosign.pub": signer.public_pem.encode()}
    )
    result = validate("--image", str(ref), "--policy", "ported", "--public-key", "k8s://signing")
    assert result.exit_code == 0, result.output
    emulated_cluster.policy(CONTEXT_NAMESPACE, "broken", {"sources": "not a list"})
    broken = validate("--image", str(ref), "--policy", "broken", "--public-key", "k8s://signing")
    assert broken.exit_code == 1 and "spec.sources" in broken.output


def test_a_bare_name_is_in_the_contexts_namespace(emulated_cluster, publisher, signer):
    ref = publisher.release_ready("cluster/bare", signer)
    emulated_cluster.policy(CONTEXT_NAMESPACE, "mine", SPEC)
    emulated_cluster.secret(
        CONTEXT_NAMESPACE, "signing", {"cosign.pub": signer.public_pem.encode()}
    )
    result = validate("--image", str(ref), "--policy", "mine", "--public-key", "k8s://signing")
    assert result.exit_code == 0, result.output


def test_snapshot_resource_is_validated(emulated_cluster, publisher, signer, tmp_path):
    good = publisher.release_ready("cluster/snap", signer)
    emulated_cluster.snapshot(
        "tenant", "snap-1", {"application": "app", "components": [
            {"name": "api", "containerImage": str(good)}]},
    )  # fmt: skip
    key = tmp_path / "k.pub"
    key.write_text(signer.public_pem)
    result = validate(
        "--snapshot", "tenant/snap-1", "--policy", json.dumps(SPEC), "--public-key", str(key)
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [c["name"] for c in doc["components"]] == ["api"]
    assert doc["snapshot"] == "tenant/snap-1"  # the --snapshot name, as ec reports it


def test_a_missing_policy_names_the_resource(emulated_cluster, publisher, signer):
    ref = publisher.release_ready("cluster/nopolicy", signer)
    result = validate("--image", str(ref), "--policy", "ns/absent", "--public-key", "k8s://x/y")
    assert result.exit_code == 1
    assert 'EnterpriseContractPolicy "absent" not found in namespace "ns"' in result.stderr


def test_a_secret_without_the_key_field_says_which_fields_it_has(emulated_cluster):
    emulated_cluster.secret("ns", "wrong", {"tls.crt": b"x"})
    with pytest.raises(cluster_refs.ClusterRefError, match=r"no 'cosign.pub' field .*tls.crt"):
        cluster_refs.public_key_text("k8s://ns/wrong")


def test_a_private_key_secret_is_decrypted_with_its_password(emulated_cluster):
    pair = generate_key_pair(b"s3cret")
    emulated_cluster.secret(
        "ns", "signer", {"cosign.key": pair.private_pem, "cosign.password": b"s3cret"}
    )
    key = cluster_refs.private_key("k8s://ns/signer")
    assert key.public.pem == load_public_key(pair.public_pem).pem


def test_files_and_inline_values_are_never_cluster_references(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy").write_text("x")
    assert not cluster_refs.is_resource_ref("policy")  # an existing file wins
    assert cluster_refs.is_resource_ref("ns/name")
    assert not cluster_refs.is_resource_ref('{"sources": []}')
    assert not cluster_refs.is_resource_ref("github.com/org/repo")
    assert not cluster_refs.is_resource_ref("Upper/Case")


def test_a_403_names_the_missing_permission(server_loop, tmp_path, monkeypatch):
    async def forbidden(request: web.Request) -> web.Response:
        return web.json_response({"kind": "Status", "reason": "Forbidden"}, status=403)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forbidden)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()

    async def start() -> web.AppRunner:
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    runner = server_loop.run(start())
    try:
        config = tmp_path / "kubeconfig"
        config.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                    "users": [{"name": "u", "user": {}}],
                    "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                    "current-context": "c",
                }
            )
        )
        monkeypatch.setenv("KUBECONFIG", str(config))
        with pytest.raises(cluster_refs.KonfluxError) as raised:
            cluster_refs.public_key_text("k8s://secure/key")
        assert 'get on secrets (core API group "") in namespace "secure"' in str(raised.value)
    finally:
        server_loop.run(runner.cleanup())
        asyncio.set_event_loop(None)
