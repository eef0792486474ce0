"""The lookup layer: the short-lived cache, request checks, errors handed to the rules."""

from __future__ import annotations

import time

from webhook_support import NAMESPACE

from konflux.kube.config import ClusterConfig, find_config, load_config
from konflux.webhooks import lookups
from konflux.webhooks.endpoints import APPLICATION, COMPONENTS


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
