"""The lookup layer: kubeconfig reading, the short-lived cache, errors handed to the rules."""

from __future__ import annotations

import base64
import time

import pytest
import yaml
from webhook_support import NAMESPACE

from konflux.webhooks import kube
from konflux.webhooks.endpoints import APPLICATION, COMPONENTS
from konflux.webhooks.errors import ClusterConfigError


def _kubeconfig(path, cluster, user=None):
    path.write_text(
        yaml.safe_dump(
            {
                "current-context": "c",
                "contexts": [
                    {"name": "c", "context": {"cluster": "k", **({"user": "u"} if user else {})}}
                ],
                "clusters": [{"name": "k", "cluster": cluster}],
                "users": [{"name": "u", "user": user or {}}],
            }
        )
    )
    return path


def test_kubeconfig_token_and_ca(tmp_path, pki):
    ca = (pki.root / "ca.crt").read_bytes()
    cluster = {
        "server": "https://api.example:6443/",
        "certificate-authority-data": base64.b64encode(ca).decode(),
    }
    path = _kubeconfig(tmp_path / "kc", cluster, {"token": "s3cret"})
    config = kube.from_kubeconfig(path)
    assert config.server == "https://api.example:6443"
    assert config.auth_headers() == {"Authorization": "Bearer s3cret"}
    assert config.ssl is not False


def test_kubeconfig_token_file_reread(tmp_path):
    (tmp_path / "tok").write_text("one\n")
    path = _kubeconfig(
        tmp_path / "kc",
        {"server": "https://h", "insecure-skip-tls-verify": True},
        {"tokenFile": "tok"},
    )
    config = kube.from_kubeconfig(path)
    assert config.ssl is False
    assert config.auth_headers()["Authorization"] == "Bearer one"
    (tmp_path / "tok").write_text("two\n")
    assert config.auth_headers()["Authorization"] == "Bearer two"


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ("a: [unclosed", "cannot read kubeconfig"),
        ("current-context: nope\ncontexts: []\n", "no context named 'nope'"),
        ("- a list", "not a kubeconfig"),
    ],
)
def test_kubeconfig_errors(tmp_path, doc, fragment):
    (tmp_path / "kc").write_text(doc)
    with pytest.raises(ClusterConfigError, match=fragment):
        kube.from_kubeconfig(tmp_path / "kc")


def test_kubeconfig_needs_server(tmp_path):
    with pytest.raises(ClusterConfigError, match="server URL"):
        kube.from_kubeconfig(_kubeconfig(tmp_path / "kc", {"server": "ftp://x"}))


def test_no_cluster_means_error_entries(bg, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    assert kube.discover(None) is None
    reader = kube.KubeReader(None)
    request = {"namespace": NAMESPACE, "object": {"spec": {"application": "app"}}}
    out = bg.run(kube.gather((APPLICATION, COMPONENTS), request, reader))
    assert out["application"]["error"] == kube.NO_CLUSTER
    assert out["components"]["error"] == kube.NO_CLUSTER


def test_lookups_against_kmock(bg, cluster):
    reader = kube.KubeReader(kube.from_kubeconfig(cluster.kubeconfig), ttl=0.3)
    try:
        request = {"namespace": NAMESPACE, "object": {"spec": {"application": "app"}}}
        out = bg.run(kube.gather((APPLICATION, COMPONENTS), request, reader))
        assert out["application"]["found"] is True
        assert out["application"]["object"]["metadata"]["uid"] == "uid-app"
        assert {c["metadata"]["name"] for c in out["components"]["items"]} >= {"b", "c", "d"}
        # the bearer token from the kubeconfig reached the API server
        assert any(
            r.headers.get("Authorization") == "Bearer test-token" for r in list(cluster.emulator)
        )
        # cached: a second read within the TTL does not reach the API server
        before = len(list(cluster.emulator))
        bg.run(kube.gather((APPLICATION,), request, reader))
        assert len(list(cluster.emulator)) == before
        time.sleep(0.35)
        bg.run(kube.gather((APPLICATION,), request, reader))
        assert len(list(cluster.emulator)) == before + 1
        # missing object, invalid names, and a namespace that is not a name
        ghost = {"namespace": NAMESPACE, "object": {"spec": {"application": "ghost"}}}
        assert bg.run(kube.gather((APPLICATION,), ghost, reader))["application"] == {
            "found": False,
            "name": "ghost",
        }
        bad = {"namespace": NAMESPACE, "object": {"spec": {"application": "../x"}}}
        assert bg.run(kube.gather((APPLICATION,), bad, reader))["application"]["found"] is False
        evil = {"namespace": "../../api", "object": {"spec": {"application": "app"}}}
        assert (
            "not a valid name"
            in bg.run(kube.gather((APPLICATION,), evil, reader))["application"]["error"]
        )
    finally:
        bg.run(reader.close())


def test_unreachable_api_is_error(bg, tmp_path):
    path = _kubeconfig(tmp_path / "kc", {"server": "http://127.0.0.1:9"})
    reader = kube.KubeReader(kube.from_kubeconfig(path), timeout=1)
    try:
        request = {"namespace": NAMESPACE, "object": {"spec": {"application": "app"}}}
        out = bg.run(kube.gather((APPLICATION,), request, reader))
        assert "failed" in out["application"]["error"]
    finally:
        bg.run(reader.close())
