"""Reading kubeconfig files: kubectl's merge rules, discovery order, errors naming the field."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from konflux.kube import config as kube_config
from konflux.kube.config import find_config, load_config
from konflux.kube.errors import CredentialPluginError, KubeConfigError
from konflux.kube.kubeconfig import read_kubeconfig, split_kubeconfig_env
from tests.fixtures.kube_api import b64, kubeconfig

SERVER = {"server": "https://api.example:6443/"}


def test_relative_paths_resolve_against_the_defining_file(tmp_path, kube_pki):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ca.crt").write_bytes(kube_pki.ca_pem)
    cert, key = kube_pki.client_files("u", tmp_path / "sub")
    user = {
        "client-certificate": "sub/u.crt",
        "client-key": str(key),  # absolute stays as it is
        "tokenFile": "sub/token",
        "exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "bin/plugin"},
    }
    path = kubeconfig(tmp_path / "kc", {**SERVER, "certificate-authority": "sub/ca.crt"}, user)
    doc = read_kubeconfig([path])
    body = doc.users["test-user"].body
    assert body["client-certificate"] == str(tmp_path / "sub" / "u.crt")
    assert body["client-key"] == str(key)
    assert body["tokenFile"] == str(tmp_path / "sub" / "token")
    assert body["exec"]["command"] == str(tmp_path / "bin" / "plugin")
    assert doc.clusters["test-cluster"].body["certificate-authority"] == str(
        tmp_path / "sub" / "ca.crt"
    )
    # a bare command is looked up on PATH, never next to the kubeconfig
    user["exec"]["command"] = "kubelogin"
    path = kubeconfig(tmp_path / "kc", SERVER, user)
    assert read_kubeconfig([path]).users["test-user"].body["exec"]["command"] == "kubelogin"
    assert cert.exists()


def test_merge_first_file_wins_per_name_and_for_current_context(tmp_path):
    a = kubeconfig(tmp_path / "a", {"server": "https://a"}, {"token": "a"}, context="shared")
    b = kubeconfig(tmp_path / "b", {"server": "https://b"}, {"token": "b"}, context="shared")
    c = kubeconfig(tmp_path / "c", {"server": "https://c"}, {"token": "c"}, context="extra")
    doc = read_kubeconfig([a, b, c])
    assert doc.current_context == "shared"
    assert doc.clusters["shared-cluster"].body["server"] == "https://a"
    assert doc.users["shared-user"].origin == a
    assert set(doc.contexts) == {"shared", "extra"}
    config = load_config(environ={"KUBECONFIG": os.pathsep.join(map(str, [a, b, c]))})
    assert config.server == "https://a"
    assert config.user.token == "a"
    assert load_config(context="extra", environ={"KUBECONFIG": f"{a}{os.pathsep}{c}"}).server == (
        "https://c"
    )


def test_kubeconfig_env_list_drops_empty_parts_and_repeats():
    value = os.pathsep.join(["/a", "", "/b", "/a"])
    assert split_kubeconfig_env(value) == [Path("/a"), Path("/b")]


def test_discovery_order(tmp_path, kube_pki):
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    kubeconfig(home / ".kube" / "config", {"server": "https://home"}, {})
    env_file = kubeconfig(tmp_path / "env", {"server": "https://env"}, {})
    flag = kubeconfig(tmp_path / "flag", {"server": "https://flag"}, {})
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("t")
    pod = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    env = {"HOME": str(home), "KUBECONFIG": str(env_file), **pod}
    kube_config.SERVICE_ACCOUNT_DIR, saved = sa, kube_config.SERVICE_ACCOUNT_DIR
    try:
        assert load_config(flag, environ=env).server == "https://flag"
        assert load_config(environ=env).server == "https://env"
        del env["KUBECONFIG"]
        assert load_config(environ=env).server == "https://10.0.0.1:443"
        # a context is a kubeconfig thing: asking for one skips the pod's service account
        with pytest.raises(KubeConfigError, match='no context named "x"'):
            load_config(context="x", environ=env)
        for key in pod:
            del env[key]
        assert load_config(environ=env).server == "https://home"
        env["HOME"] = str(tmp_path / "nobody")
        assert find_config(environ=env) is None
        with pytest.raises(KubeConfigError, match="no Kubernetes configuration"):
            load_config(environ=env)
    finally:
        kube_config.SERVICE_ACCOUNT_DIR = saved


def test_in_cluster_ipv6_host_and_missing_token(tmp_path):
    sa = tmp_path / "sa"
    sa.mkdir()
    env = {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}
    assert kube_config.in_cluster(sa, environ=env) is None  # no token: not in a pod
    (sa / "token").write_text("t")
    config = kube_config.in_cluster(sa, environ=env)
    assert config is not None and config.server == "https://[fd00::1]:443"
    assert config.namespace == "default"
    assert config.user.token_file == sa / "token"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: [unclosed", r"cannot read kubeconfig .*kc:\d+:\d+"),
        ("- a list", "not a kubeconfig document"),
        ("clusters: {a: 1}", "clusters must be a list"),
        ("users: [{user: {}}]", r"users\[0\] has no name"),
        ("current-context: nope\ncontexts: []\n", 'no context named "nope"'),
        ("contexts: [{name: c, context: {cluster: k}}]\n", "has no current-context"),
    ],
)
def test_unreadable_kubeconfigs(tmp_path, text, fragment):
    (tmp_path / "kc").write_text(text)
    with pytest.raises(KubeConfigError, match=fragment):
        load_config(tmp_path / "kc")


def test_missing_explicit_and_env_files(tmp_path):
    with pytest.raises(KubeConfigError, match="does not exist"):
        load_config(tmp_path / "absent")
    with pytest.raises(KubeConfigError, match="none of the kubeconfig files exist"):
        load_config(environ={"KUBECONFIG": str(tmp_path / "absent")})


def test_empty_kubeconfig_file_has_no_context(tmp_path):
    (tmp_path / "kc").write_text("")
    with pytest.raises(KubeConfigError, match="has no current-context"):
        load_config(tmp_path / "kc")


@pytest.mark.parametrize(
    ("cluster", "user", "fragment"),
    [
        ({"server": "ftp://x"}, {}, "not an http\\(s\\) server URL"),
        ({}, {}, 'cluster "test-cluster" in kubeconfig .* has no server URL'),
        (
            {**SERVER, "certificate-authority-data": "bm90IGEgY2VydA=="},
            {},
            "certificate-authority-data of cluster .*: not a PEM CA certificate",
        ),
        ({**SERVER, "certificate-authority-data": "%%%"}, {}, "is not base64"),
        ({**SERVER, "certificate-authority": "nope.crt"}, {}, "cannot read certificate-authority"),
        (
            {**SERVER, "certificate-authority-data": "eA==", "certificate-authority": "x"},
            {},
            "both certificate-authority and certificate-authority-data",
        ),
        (
            {**SERVER, "insecure-skip-tls-verify": True, "certificate-authority-data": "eA=="},
            {},
            "insecure-skip-tls-verify with a certificate authority",
        ),
        ({**SERVER, "proxy-url": "socks5://p:1080"}, {}, "only http:// and https:// proxies"),
        (SERVER, {"token": "t", "username": "u"}, "more than one authentication method"),
        (SERVER, {"client-certificate-data": "eA=="}, "needs client-key or client-key-data"),
        (
            SERVER,
            {"client-certificate-data": "eA==", "client-certificate": "f", "client-key": "k"},
            "both client-certificate and client-certificate-data",
        ),
        (SERVER, {"auth-provider": {"name": "gcp"}}, "auth-provider 'gcp' is not supported"),
        (SERVER, {"as-groups": ["g"]}, "need `as`"),
        (SERVER, {"token": 5}, "token must be a string"),
    ],
)
def test_unusable_entries_name_the_field(tmp_path, cluster, user, fragment):
    with pytest.raises(KubeConfigError, match=fragment):
        load_config(kubeconfig(tmp_path / "kc", cluster, user))


def test_a_client_key_that_does_not_match_its_certificate(tmp_path, kube_pki):
    cert, _ = kube_pki.client("a")
    _, other_key = kube_pki.client("b")
    user = {"client-certificate-data": b64(cert), "client-key-data": b64(other_key)}
    config = load_config(kubeconfig(tmp_path / "kc", SERVER, user))
    with pytest.raises(KubeConfigError, match='client certificate of user "test-user"'):
        config.tls.context(config.user.certificate)


@pytest.mark.parametrize(
    ("exec_config", "fragment"),
    [
        ({"apiVersion": "client.authentication.k8s.io/v1", "command": "x"}, "required for"),
        (
            {"apiVersion": "client.authentication.k8s.io/v1alpha1", "command": "x"},
            "v1alpha1' is not supported",
        ),
        ({"apiVersion": "client.authentication.k8s.io/v1beta1"}, "needs a command"),
        (
            {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": "x",
                "interactiveMode": "Sometimes",
            },
            "not 'Sometimes'",
        ),
        (
            {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": "x",
                "env": [{"value": "v"}],
            },
            "env entry needs a name",
        ),
    ],
)
def test_exec_sections_are_checked_as_kubectl_does(tmp_path, exec_config, fragment):
    with pytest.raises(CredentialPluginError, match=fragment):
        load_config(kubeconfig(tmp_path / "kc", SERVER, {"exec": exec_config}))


def test_static_credentials_make_an_exec_plugin_unused(tmp_path):
    user = {
        "token": "t",
        "exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "never-run"},
    }
    config = load_config(kubeconfig(tmp_path / "kc", SERVER, user))
    assert config.user.method == "bearer token"


def test_namespace_and_server_path_prefix(tmp_path):
    cluster = {"server": "https://rancher.example/k8s/clusters/c-1/"}
    config = load_config(kubeconfig(tmp_path / "kc", cluster, {}, namespace="team"))
    assert config.server == "https://rancher.example/k8s/clusters/c-1"
    assert config.namespace == "team"
    assert config.origin == f'kubeconfig {tmp_path / "kc"}, context "test"'


def test_secrets_are_not_in_reprs(tmp_path, kube_pki):
    cert, key = kube_pki.client("a")
    user = {
        "token": "s3cret-token",
        "client-certificate-data": b64(cert),
        "client-key-data": b64(key),
    }
    config = load_config(kubeconfig(tmp_path / "kc", SERVER, user))
    text = repr(config)
    assert "s3cret-token" not in text
    assert "PRIVATE KEY" not in text
