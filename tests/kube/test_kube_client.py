"""`KubeClient` over TLS: the verbs, keyed creates, typed errors naming verb, resource and fix."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from konflux.kube import resources as r
from konflux.kube.client import KubeClient
from konflux.kube.config import load_config
from konflux.kube.errors import Forbidden, KubeError, NotFound, permission
from konflux.kube.resources import Resource
from tests.fixtures.kube_api import TlsApiServer, b64, kubeconfig

NS = "tenant"


def snapshot(name: str) -> dict[str, Any]:
    return {
        "apiVersion": r.SNAPSHOT.api_version,
        "kind": "Snapshot",
        "metadata": {"name": name, "namespace": NS, "labels": {"app": "a"}},
        "spec": {"application": "a"},
    }


def with_server(pki, tmp_path, scenario) -> None:
    async def main() -> None:
        async with TlsApiServer(pki) as server:
            cert, key = pki.client("controller")
            path = kubeconfig(
                tmp_path / "kc",
                {"server": server.url, "certificate-authority-data": b64(pki.ca_pem)},
                {"client-certificate-data": b64(cert), "client-key-data": b64(key)},
            )
            async with KubeClient(load_config(path)) as client:
                await scenario(server, client)

    asyncio.run(main())


def test_verbs_round_trip(kube_pki, tmp_path):
    async def scenario(server: TlsApiServer, client: KubeClient) -> None:
        created = await client.create(r.SNAPSHOT, snapshot("s1"))
        assert created is not None and created["metadata"]["uid"]
        assert await client.create(r.SNAPSHOT, snapshot("s1")) is None  # keyed: 409 is no error
        await client.create(
            r.SNAPSHOT, {**snapshot("s2"), "metadata": {"name": "s2", "namespace": NS}}
        )
        assert [o["metadata"]["name"] for o in await client.list(r.SNAPSHOT, NS, {"app": "a"})] == [
            "s1"
        ]
        assert len(await client.list(r.SNAPSHOT)) == 2  # all namespaces
        patched = await client.patch(r.SNAPSHOT, NS, "s1", {"metadata": {"labels": {"x": "y"}}})
        assert patched is not None and patched["metadata"]["labels"]["x"] == "y"
        await client.patch(r.SNAPSHOT, NS, "s1", {"status": {"ok": True}}, status=True)
        got = await client.get(r.SNAPSHOT, NS, "s1")
        assert got is not None and got["status"] == {"ok": True}
        assert await client.get(r.SNAPSHOT, NS, "ghost") is None
        assert await client.patch(r.SNAPSHOT, NS, "ghost", {"spec": {}}) is None
        assert await client.delete(r.SNAPSHOT, NS, "s1") is True
        assert await client.delete(r.SNAPSHOT, NS, "s1") is False
        assert {s.user for s in server.seen} == {"controller"}

    with_server(kube_pki, tmp_path, scenario)


def test_forbidden_names_the_missing_permission(kube_pki, tmp_path):
    async def scenario(server: TlsApiServer, client: KubeClient) -> None:
        server.deny("controller", "get", "enterprisecontractpolicies")
        with pytest.raises(Forbidden) as caught:
            await client.get(r.POLICY, "x", "default")
        assert str(caught.value).startswith(
            'cannot get enterprisecontractpolicies.appstudio.redhat.com "default" in namespace '
            '"x": forbidden (needs get on enterprisecontractpolicies '
            '(API group "appstudio.redhat.com") in namespace "x"); the API server said: '
            'enterprisecontractpolicies is forbidden: User "controller" cannot get'
        )
        assert caught.value.status == 403
        server.deny("controller", "list", "configmaps")
        with pytest.raises(
            Forbidden,
            match=r'needs list on configmaps \(core API group ""\) '
            r"cluster-wide",
        ):
            await client.list(r.CONFIG_MAP)
        server.deny("controller", "patch", "releases")
        with pytest.raises(Forbidden) as caught:
            await client.patch(r.RELEASE, NS, "rel", {"status": {}}, status=True)
        assert caught.value.permission == (
            'patch on releases/status (API group "appstudio.redhat.com") in namespace "tenant"'
        )

    with_server(kube_pki, tmp_path, scenario)


def test_a_resource_the_server_does_not_serve(kube_pki, tmp_path):
    ghost = Resource("example.com", "v1", "ghosts", "Ghost")

    async def scenario(server: TlsApiServer, client: KubeClient) -> None:
        with pytest.raises(NotFound, match=r"does not serve ghosts.example.com v1 \(is its CRD"):
            await client.list(ghost, NS)

    with_server(kube_pki, tmp_path, scenario)


def test_permission_wording():
    assert permission("watch", r.NAMESPACE, "ignored") == (
        'watch on namespaces (core API group "") cluster-wide'
    )


@pytest.mark.parametrize("hostile", ["", ".", "..", "a/b", "%2e%2e"])
def test_names_no_object_can_have_reach_no_other_path(kube_pki, tmp_path, hostile):
    """A tenant's spec naming `..` or "" must not read the collection or the parent."""

    async def scenario(server: TlsApiServer, client: KubeClient) -> None:
        await client.create(r.SNAPSHOT, snapshot("s1"))
        before = len(server.seen)
        assert await client.get(r.SNAPSHOT, NS, hostile) is None
        assert await client.get(r.SNAPSHOT, hostile, "s1") is None
        assert await client.patch(r.SNAPSHOT, NS, hostile, {"spec": {}}) is None
        assert await client.delete(r.SNAPSHOT, NS, hostile) is False
        assert await client.list(r.SNAPSHOT, hostile) == []  # "" never means all namespaces
        assert len(server.seen) == before  # nothing was sent
        with pytest.raises(KubeError, match="cannot name a Kubernetes object"):
            await client.create(
                r.SNAPSHOT,
                {**snapshot("x"), "metadata": {"name": hostile or "x", "namespace": ".."}},
            )

    with_server(kube_pki, tmp_path, scenario)
