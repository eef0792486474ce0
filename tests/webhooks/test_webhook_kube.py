"""The lookup layer: the short-lived cache, request checks, errors handed to the rules, TLS."""

from __future__ import annotations

import time

from webhook_support import NAMESPACE, Webhook, application, component, make_config, review

from konflux.kube import resources as r
from konflux.kube.client import KubeClient
from konflux.kube.config import ClusterConfig, find_config, load_config
from konflux.webhooks import lookups
from konflux.webhooks.endpoints import APPLICATION, COMPONENTS
from tests.fixtures.kube_api import TlsApiServer, b64, kubeconfig


def test_no_cluster_means_error_entries(bg, monkeypatch, tmp_path):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert find_config(None) is None
    reader = lookups.LookupReader(None)
    request = {"namespace": NAMESPACE, "object": {"spec": {"application": "app"}}}
    out = bg.run(lookups.gather((APPLICATION, COMPONENTS), request, reader))
    assert out["application"]["error"] == lookups.NO_CLUSTER
    assert out["components"]["error"] == lookups.NO_CLUSTER


def test_lookups_against_kmock(bg, cluster):
    reader = lookups.LookupReader(load_config(cluster.kubeconfig), ttl=0.3)
    try:
        request = {"namespace": NAMESPACE, "object": {"spec": {"application": "app"}}}
        out = bg.run(lookups.gather((APPLICATION, COMPONENTS), request, reader))
        assert out["application"]["found"] is True
        assert out["application"]["object"]["metadata"]["uid"] == "uid-app"
        assert {c["metadata"]["name"] for c in out["components"]["items"]} >= {"b", "c", "d"}
        # client-go's rule: credentials never travel to a plain-http server (the TLS tests in
        # tests/kube prove they do reach an https one)
        assert not any("Authorization" in r.headers for r in list(cluster.emulator))
        # cached: a second read within the TTL does not reach the API server
        before = len(list(cluster.emulator))
        bg.run(lookups.gather((APPLICATION,), request, reader))
        assert len(list(cluster.emulator)) == before
        time.sleep(0.35)
        bg.run(lookups.gather((APPLICATION,), request, reader))
        assert len(list(cluster.emulator)) == before + 1
        # missing object, invalid names, and a namespace that is not a name
        ghost = {"namespace": NAMESPACE, "object": {"spec": {"application": "ghost"}}}
        assert bg.run(lookups.gather((APPLICATION,), ghost, reader))["application"] == {
            "found": False,
            "name": "ghost",
        }
        bad = {"namespace": NAMESPACE, "object": {"spec": {"application": "../x"}}}
        assert bg.run(lookups.gather((APPLICATION,), bad, reader))["application"]["found"] is False
        evil = {"namespace": "../../api", "object": {"spec": {"application": "app"}}}
        assert (
            "not a valid name"
            in bg.run(lookups.gather((APPLICATION,), evil, reader))["application"]["error"]
        )
    finally:
        bg.run(reader.close())


def test_unreachable_api_is_error(bg):
    reader = lookups.LookupReader(ClusterConfig.for_server("http://127.0.0.1:9"), timeout=1)
    try:
        request = {"namespace": NAMESPACE, "object": {"spec": {"application": "app"}}}
        out = bg.run(lookups.gather((APPLICATION,), request, reader))
        error = out["application"]["error"]
        assert error.startswith('cannot get applications.appstudio.redhat.com "app" in namespace')
        assert "cannot connect" in error
        # errors are not cached: the next request tries again
        assert reader.cached(APPLICATION.resource.path(NAMESPACE, "app")) is None
    finally:
        bg.run(reader.close())


def test_webhook_lookups_over_tls_with_a_client_certificate(bg, pki, kube_pki, tmp_path):
    """The webhook reads through the TLS API server with a `*-data` kubeconfig; a denied read
    reaches the rules as an error naming the missing permission, and the Component is denied."""
    server = TlsApiServer(kube_pki)
    bg.run(server.__aenter__())
    hook = None
    try:
        admin_cert, admin_key = kube_pki.client("admin")
        cluster = {"server": server.url, "certificate-authority-data": b64(kube_pki.ca_pem)}
        admin = kubeconfig(
            tmp_path / "admin",
            cluster,
            {"client-certificate-data": b64(admin_cert), "client-key-data": b64(admin_key)},
        )

        async def seed() -> None:
            async with KubeClient(load_config(admin)) as client:
                await client.create(r.APPLICATION, application("app", "uid-app"))

        bg.run(seed())
        cert, key = kube_pki.client("konflux-webhook")
        kc = kubeconfig(
            tmp_path / "kc",
            cluster,
            {"client-certificate-data": b64(cert), "client-key-data": b64(key)},
        )
        hook = Webhook(bg, pki, make_config(pki, kubeconfig=str(kc), cache_ttl=0.0, workers=1))
        status, doc = hook.post("/validate-component", review(component("api", ["web"])))
        assert status == 200
        assert doc["response"]["allowed"] is True, doc
        _, doc = hook.post("/validate-component", review(component("web", app="ghost")))
        # as upstream, a missing Application is no reason to deny (GitOps order): a warning
        assert doc["response"]["allowed"] is True
        assert any('Application "ghost" does not exist' in w for w in doc["response"]["warnings"])
        webhook_reads = [s for s in server.seen if s.user == "konflux-webhook"]
        assert {(s.verb, s.via) for s in webhook_reads} == {("get", "x509"), ("list", "x509")}

        server.deny("konflux-webhook", "list", "components")
        _, doc = hook.post("/validate-component", review(component("api", ["web"])))
        message = doc["response"]["status"]["message"]
        assert doc["response"]["allowed"] is False
        assert "cannot verify that build-nudges-ref forms no cycle" in message
        assert (
            'cannot list components.appstudio.redhat.com in namespace "tenant": forbidden '
            '(needs list on components (API group "appstudio.redhat.com") in namespace "tenant")'
        ) in message
    finally:
        if hook is not None:
            hook.stop()
        bg.run(server.__aexit__(None, None, None))
