"""Every kubeconfig form kubectl accepts, against a real TLS API server that authenticates.

Each test writes a kubeconfig in one form, reads through `KubeClient`, and asks
the server who it authenticated (`TlsApiServer.seen`): the client certificate's
CN, the token's or the password's user. Wrong CAs and missing credentials fail
with errors that say what to fix.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from konflux.kube import config as kube_config
from konflux.kube import resources as r
from konflux.kube.client import KubeClient
from konflux.kube.config import ClusterConfig, load_config
from konflux.kube.errors import KubeConnectionError, Unauthorized
from konflux.kube.exec_plugin import plugin_for
from tests.fixtures.kube_api import (
    SERVER_NAME,
    KubePKI,
    Seen,
    TlsApiServer,
    b64,
    exec_plugin_script,
    exec_runs,
    kubeconfig,
)

NS = "tenant"
V1 = "client.authentication.k8s.io/v1"
V1BETA1 = "client.authentication.k8s.io/v1beta1"


def serve(pki: KubePKI, scenario: Callable[[TlsApiServer], Awaitable[Any]], **kw: Any) -> Any:
    async def main() -> Any:
        async with TlsApiServer(pki, **kw) as server:
            return await scenario(server)

    return asyncio.run(main())


async def read(config: ClusterConfig, server: TlsApiServer) -> Seen:
    """One authenticated read; what the server saw for it."""
    async with KubeClient(config, timeout=10) as client:
        assert await client.list(r.SNAPSHOT, NS) == []
    return server.seen[-1]


def ca_data(pki: KubePKI, url: str, **extra: Any) -> dict[str, Any]:
    return {"server": url, "certificate-authority-data": b64(pki.ca_pem), **extra}


# --- certificate authority and client certificates --------------------------------------------


def test_ca_file_and_client_certificate_files_relative_to_the_kubeconfig(kube_pki, tmp_path):
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "ca.crt").write_bytes(kube_pki.ca_pem)
    kube_pki.client_files("alice", tmp_path / "pki")

    async def scenario(server: TlsApiServer) -> None:
        path = kubeconfig(
            tmp_path / "kc",
            {"server": server.url, "certificate-authority": "pki/ca.crt"},
            {"client-certificate": "pki/alice.crt", "client-key": "pki/alice.key"},
        )
        seen = await read(load_config(path), server)
        assert (seen.user, seen.via, seen.status) == ("alice", "x509", 200)

    serve(kube_pki, scenario)


def test_ca_data_and_client_certificate_data(kube_pki, tmp_path):
    cert, key = kube_pki.client("kind-admin", ("system:masters",))

    async def scenario(server: TlsApiServer) -> None:
        path = kubeconfig(
            tmp_path / "kc",
            ca_data(kube_pki, server.url),
            {"client-certificate-data": b64(cert), "client-key-data": b64(key)},
        )
        seen = await read(load_config(path), server)
        assert (seen.user, seen.via, seen.status) == ("kind-admin", "x509", 200)

    serve(kube_pki, scenario)


def test_wrong_ca_fails_naming_the_field(kube_pki, tmp_path):
    async def scenario(server: TlsApiServer) -> None:
        path = kubeconfig(
            tmp_path / "kc",
            {"server": server.url, "certificate-authority-data": b64(kube_pki.other_ca_pem)},
            {"token": "t"},
        )
        with pytest.raises(KubeConnectionError) as caught:
            await read(load_config(path), server)
        message = str(caught.value)
        assert message.startswith("cannot list snapshots.appstudio.redhat.com in namespace")
        assert "certificate is not trusted" in message
        assert 'certificate-authority-data of cluster "test-cluster"' in message
        assert server.seen == []  # nothing was sent to an untrusted server

    serve(kube_pki, scenario)


def test_missing_client_certificate_is_unauthorized_naming_the_credentials(kube_pki, tmp_path):
    async def scenario(server: TlsApiServer) -> None:
        path = kubeconfig(tmp_path / "kc", ca_data(kube_pki, server.url), {})
        with pytest.raises(Unauthorized) as caught:
            await read(load_config(path), server)
        assert "unauthorized: no credentials configured" in str(caught.value)
        assert f"kubeconfig {path}" in str(caught.value)
        assert server.seen[-1].status == 401

    serve(kube_pki, scenario)


def test_client_certificate_of_another_ca_is_refused_in_the_handshake(kube_pki, tmp_path):
    from konflux.webhooks.certs import make_ca

    cert, key = kube_pki.client("mallory", ca=make_ca("mallory's CA"))

    async def scenario(server: TlsApiServer) -> None:
        path = kubeconfig(
            tmp_path / "kc",
            ca_data(kube_pki, server.url),
            {"client-certificate-data": b64(cert), "client-key-data": b64(key)},
        )
        with pytest.raises(KubeConnectionError, match=r"the API server https://127\.0\.0\.1"):
            await read(load_config(path), server)
        assert server.seen == []

    serve(kube_pki, scenario)


# --- tokens and passwords ------------------------------------------------------------------------


def test_bearer_token(kube_pki, tmp_path):
    async def scenario(server: TlsApiServer) -> None:
        server.tokens["s3cret"] = "bob"
        path = kubeconfig(tmp_path / "kc", ca_data(kube_pki, server.url), {"token": "s3cret"})
        seen = await read(load_config(path), server)
        assert (seen.user, seen.via) == ("bob", "token")
        wrong = kubeconfig(tmp_path / "kc2", ca_data(kube_pki, server.url), {"token": "guess"})
        with pytest.raises(Unauthorized, match="refused the bearer token"):
            await read(load_config(wrong), server)

    serve(kube_pki, scenario)


def test_token_file_is_reread_when_it_rotates(kube_pki, tmp_path):
    async def scenario(server: TlsApiServer) -> None:
        (tmp_path / "token").write_text("first\n")
        server.tokens["first"] = "sa-before-rotation"
        path = kubeconfig(tmp_path / "kc", ca_data(kube_pki, server.url), {"tokenFile": "token"})
        config = load_config(path)
        async with KubeClient(config) as client:
            await client.list(r.SNAPSHOT, NS)
            assert server.seen[-1].user == "sa-before-rotation"
            # the kubelet rotates the projected token; the old one stops working
            (tmp_path / "token").write_text("second\n")
            server.tokens = {"second": "sa-after-rotation"}
            await client.list(r.SNAPSHOT, NS)
            assert server.seen[-1].user == "sa-after-rotation"
            assert [s.status for s in server.seen] == [200, 200]  # no 401 on the way

    serve(kube_pki, scenario)


def test_basic_auth(kube_pki, tmp_path):
    async def scenario(server: TlsApiServer) -> None:
        server.passwords["admin"] = "pa:ss"
        user = {"username": "admin", "password": "pa:ss"}
        path = kubeconfig(tmp_path / "kc", ca_data(kube_pki, server.url), user)
        seen = await read(load_config(path), server)
        assert (seen.user, seen.via) == ("admin", "basic")
        bad = kubeconfig(
            tmp_path / "kc2", ca_data(kube_pki, server.url), {"username": "admin", "password": "x"}
        )
        with pytest.raises(Unauthorized, match='basic auth as "admin"'):
            await read(load_config(bad), server)

    serve(kube_pki, scenario)


# --- exec credential plugins ---------------------------------------------------------------------


def _exec_user(plugin: Path, version: str, **extra: Any) -> dict[str, Any]:
    return {
        "exec": {
            "apiVersion": version,
            "command": str(plugin),
            "args": ["get-token", "--cluster", "test"],
            "env": [{"name": "TOKEN_PREFIX", "value": "exec"}],
            **extra,
        }
    }


def test_exec_plugin_v1(kube_pki, tmp_path):
    state = tmp_path / "runs"
    plugin = exec_plugin_script(tmp_path / "plugin", V1, state)

    async def scenario(server: TlsApiServer) -> None:
        server.tokens["exec-1"] = "carol"
        user = _exec_user(plugin, V1, interactiveMode="Never")
        path = kubeconfig(tmp_path / "kc", ca_data(kube_pki, server.url), user)
        config = load_config(path)
        seen = await read(config, server)
        assert (seen.user, seen.via) == ("carol", "token")
        await read(config, server)  # a second client: the credential is reused
        (run,) = exec_runs(state)
        assert run["argv"] == ["get-token", "--cluster", "test"]
        assert run["prefix"] == "exec"  # the kubeconfig's env reached the plugin
        assert run["info"] == {
            "apiVersion": V1,
            "kind": "ExecCredential",
            "spec": {"interactive": False},  # no cluster without provideClusterInfo
        }

    serve(kube_pki, scenario)


def test_exec_plugin_v1beta1_with_cluster_info(kube_pki, tmp_path):
    state = tmp_path / "runs"
    plugin = exec_plugin_script(tmp_path / "plugin", V1BETA1, state)

    async def scenario(server: TlsApiServer) -> None:
        server.tokens["exec-1"] = "dave"
        cluster = ca_data(
            kube_pki,
            server.url,
            extensions=[
                {"name": "client.authentication.k8s.io/exec", "extension": {"audience": "k8s"}}
            ],
        )
        # v1beta1 may leave interactiveMode out (IfAvailable); pytest's stdin is no terminal
        user = _exec_user(plugin, V1BETA1, provideClusterInfo=True)
        seen = await read(load_config(kubeconfig(tmp_path / "kc", cluster, user)), server)
        assert seen.user == "dave"
        (run,) = exec_runs(state)
        assert run["info"]["apiVersion"] == V1BETA1
        assert run["info"]["spec"]["interactive"] is False
        assert run["info"]["spec"]["cluster"] == {
            "server": server.url,
            "certificate-authority-data": b64(kube_pki.ca_pem),
            "config": {"audience": "k8s"},
        }

    serve(kube_pki, scenario)


def test_exec_credential_is_cached_until_it_expires(kube_pki, tmp_path):
    state = tmp_path / "runs"
    plugin = exec_plugin_script(tmp_path / "plugin", V1, state, expires="2030-01-01T00:00:00Z")

    async def scenario(server: TlsApiServer) -> None:
        server.tokens.update({"exec-1": "first-token", "exec-2": "second-token"})
        user = _exec_user(plugin, V1, interactiveMode="IfAvailable")
        config = load_config(kubeconfig(tmp_path / "kc", ca_data(kube_pki, server.url), user))
        clock = plugin_for(config.user.exec)
        expiry = datetime(2030, 1, 1, tzinfo=UTC)
        clock.now = lambda: expiry - timedelta(seconds=1)
        async with KubeClient(config) as client:
            await client.list(r.SNAPSHOT, NS)
            await client.list(r.SNAPSHOT, NS)
            assert len(exec_runs(state)) == 1
            clock.now = lambda: expiry  # expirationTimestamp reached: run the plugin again
            await client.list(r.SNAPSHOT, NS)
        assert len(exec_runs(state)) == 2
        assert [s.user for s in server.seen] == ["first-token", "first-token", "second-token"]

    serve(kube_pki, scenario)


def test_exec_plugin_runs_again_when_the_server_refuses_its_token(kube_pki, tmp_path):
    state = tmp_path / "runs"
    plugin = exec_plugin_script(tmp_path / "plugin", V1, state)

    async def scenario(server: TlsApiServer) -> None:
        server.tokens["exec-1"] = "erin"
        user = _exec_user(plugin, V1, interactiveMode="Never")
        config = load_config(kubeconfig(tmp_path / "kc", ca_data(kube_pki, server.url), user))
        async with KubeClient(config) as client:
            await client.list(r.SNAPSHOT, NS)
            server.tokens = {"exec-2": "erin-again"}  # the token was revoked
            await client.list(r.SNAPSHOT, NS)
            # exactly one retry: the refused request, then the same request with the new token
            assert [(s.user, s.status) for s in server.seen] == [
                ("erin", 200),
                (None, 401),
                ("erin-again", 200),
            ]
            server.tokens = {}  # a plugin that cannot help: one re-run, then the error
            with pytest.raises(Unauthorized, match="exec plugin"):
                await client.list(r.SNAPSHOT, NS)
        assert len(exec_runs(state)) == 3

    serve(kube_pki, scenario)


def test_exec_plugin_client_certificate(kube_pki, tmp_path):
    plugin = exec_plugin_script(
        tmp_path / "plugin", V1, tmp_path / "runs", cert=kube_pki.client("frank")
    )

    async def scenario(server: TlsApiServer) -> None:
        user = {"exec": {"apiVersion": V1, "command": str(plugin), "interactiveMode": "Never"}}
        config = load_config(kubeconfig(tmp_path / "kc", ca_data(kube_pki, server.url), user))
        seen = await read(config, server)
        assert (seen.user, seen.via) == ("frank", "x509")

    serve(kube_pki, scenario)


# --- server verification ---------------------------------------------------------------------


def test_insecure_skip_tls_verify(kube_pki, tmp_path):
    async def scenario(server: TlsApiServer) -> None:
        server.tokens["t"] = "gina"
        cluster = {"server": server.url, "insecure-skip-tls-verify": True}
        seen = await read(load_config(kubeconfig(tmp_path / "kc", cluster, {"token": "t"})), server)
        assert seen.user == "gina"
        # without the flag and without a CA the system store is used: our test CA is not in it
        strict = kubeconfig(tmp_path / "kc2", {"server": server.url}, {"token": "t"})
        with pytest.raises(KubeConnectionError, match="the system CA store"):
            await read(load_config(strict), server)

    serve(kube_pki, scenario)


def test_tls_server_name(kube_pki, tmp_path):
    async def scenario(server: TlsApiServer) -> None:
        server.tokens["t"] = "hank"
        named = ca_data(kube_pki, server.url, **{"tls-server-name": SERVER_NAME})
        seen = await read(load_config(kubeconfig(tmp_path / "kc", named, {"token": "t"})), server)
        assert seen.user == "hank"
        # the certificate names only kube-api.test: checking it against 127.0.0.1 fails
        plain = kubeconfig(tmp_path / "kc2", ca_data(kube_pki, server.url), {"token": "t"})
        with pytest.raises(KubeConnectionError, match="not trusted"):
            await read(load_config(plain), server)

    serve(kube_pki, scenario, named=True)


# --- finding the configuration --------------------------------------------------------------


def test_kubeconfig_env_merges_several_files(kube_pki, tmp_path):
    cert, key = kube_pki.client("ivy")

    async def scenario(server: TlsApiServer) -> None:
        server.tokens["from-second-file"] = "not-ivy"
        first = tmp_path / "first.yaml"
        first.write_text(
            json.dumps(
                {
                    "current-context": "dev",
                    "contexts": [{"name": "dev", "context": {"cluster": "c", "user": "ivy"}}],
                    "users": [
                        {
                            "name": "ivy",
                            "user": {
                                "client-certificate-data": b64(cert),
                                "client-key-data": b64(key),
                            },
                        }
                    ],
                }
            )
        )
        second = tmp_path / "second.yaml"
        second.write_text(
            json.dumps(
                {
                    "current-context": "other",
                    "clusters": [{"name": "c", "cluster": ca_data(kube_pki, server.url)}],
                    # the same user name again: the first file's entry wins, whole
                    "users": [{"name": "ivy", "user": {"token": "from-second-file"}}],
                }
            )
        )
        missing = tmp_path / "missing.yaml"  # missing files in KUBECONFIG are skipped
        env = {"KUBECONFIG": os.pathsep.join(map(str, [first, missing, second, first]))}
        config = load_config(environ=env)
        assert config.origin == f'kubeconfig {first}{os.pathsep}{second}, context "dev"'
        seen = await read(config, server)
        assert (seen.user, seen.via) == ("ivy", "x509")

    serve(kube_pki, scenario)


def test_context_selection(kube_pki, tmp_path):
    async def scenario(server: TlsApiServer) -> None:
        server.tokens.update({"a": "user-a", "b": "user-b"})
        cluster = ca_data(kube_pki, server.url)
        kubeconfig(tmp_path / "a", cluster, {"token": "a"}, context="a")
        kubeconfig(tmp_path / "b", cluster, {"token": "b"}, context="b", current=False)
        env = {"KUBECONFIG": f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}"}
        assert (await read(load_config(environ=env), server)).user == "user-a"
        assert (await read(load_config(context="b", environ=env), server)).user == "user-b"

    serve(kube_pki, scenario)


def test_in_cluster_service_account(kube_pki, tmp_path, monkeypatch):
    sa = tmp_path / "serviceaccount"
    sa.mkdir()
    (sa / "ca.crt").write_bytes(kube_pki.ca_pem)
    (sa / "token").write_text("pod-token-1")
    (sa / "namespace").write_text("konflux-system")
    monkeypatch.setattr(kube_config, "SERVICE_ACCOUNT_DIR", sa)

    async def scenario(server: TlsApiServer) -> None:
        server.tokens["pod-token-1"] = "system:serviceaccount:konflux-system:controllers"
        env = {
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": str(server.port),
            "HOME": str(tmp_path),
        }
        config = load_config(environ=env)
        assert config.server == server.url
        assert config.namespace == "konflux-system"
        seen = await read(config, server)
        assert seen.user == "system:serviceaccount:konflux-system:controllers"
        (sa / "token").write_text("pod-token-2")  # projected tokens rotate
        server.tokens = {"pod-token-2": "rotated"}
        assert (await read(config, server)).user == "rotated"

    serve(kube_pki, scenario)


# --- proxies and impersonation -----------------------------------------------------------------


class ConnectProxy:
    """A minimal HTTP CONNECT proxy on loopback that records where it tunnels to."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []

    async def __aenter__(self) -> ConnectProxy:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _ = head.split(b"\r\n")[0].decode().split(" ")
        if method != "CONNECT":
            writer.close()
            return
        self.tunnels.append(target)
        host, port = target.rsplit(":", 1)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


def test_proxy_url(kube_pki, tmp_path):
    async def scenario(server: TlsApiServer) -> None:
        server.tokens["t"] = "via-proxy"
        async with ConnectProxy() as proxy:
            cluster = ca_data(kube_pki, server.url, **{"proxy-url": proxy.url})
            config = load_config(kubeconfig(tmp_path / "kc", cluster, {"token": "t"}))
            seen = await read(config, server)
            assert seen.user == "via-proxy"
            assert proxy.tunnels == [f"127.0.0.1:{server.port}"]

    serve(kube_pki, scenario)


def test_impersonation(kube_pki, tmp_path):
    async def scenario(server: TlsApiServer) -> None:
        server.tokens["t"] = "admin"
        user = {"token": "t", "as": "jane", "as-groups": ["devs"]}
        config = load_config(kubeconfig(tmp_path / "kc", ca_data(kube_pki, server.url), user))
        seen = await read(config, server)
        assert (seen.user, seen.impersonating) == ("admin", "jane")

    serve(kube_pki, scenario)


def test_credentials_never_go_to_a_plain_http_server(tmp_path):
    """client-go's rule: without TLS no credentials are sent (the kmock tests show none arrive)."""
    path = kubeconfig(tmp_path / "kc", {"server": "http://127.0.0.1:1"}, {"token": "secret"})
    config = load_config(path)
    from konflux.kube.credentials import Authenticator

    creds = asyncio.run(Authenticator(config.user, secure=config.secure).current())
    assert creds.authorization is None


# --- kopf's login carries every form ---------------------------------------------------------


@pytest.mark.parametrize("form", ["certificate-data", "token", "basic", "tls-server-name", "exec"])
def test_kopf_login_carries_the_form(kube_pki, tmp_path, form):
    """The `ConnectionInfo` our login hands kopf, used as kopf's `APIContext` uses it (an aiohttp
    session from `as_ssl_context()` and `as_http_headers()`), authenticates as configured."""
    import aiohttp
    import kopf

    from konflux.kube.login import KopfLogin

    cert, key = kube_pki.client("kopf-user")
    plugin = exec_plugin_script(tmp_path / "plugin", V1, tmp_path / "runs")
    users = {
        "certificate-data": {"client-certificate-data": b64(cert), "client-key-data": b64(key)},
        "token": {"token": "tok"},
        "basic": {"username": "kopf-user", "password": "pw"},
        "tls-server-name": {"token": "tok"},
        "exec": _exec_user(plugin, V1, interactiveMode="Never"),
    }

    async def scenario(server: TlsApiServer) -> None:
        server.tokens.update({"tok": "kopf-user", "exec-1": "kopf-user"})
        server.passwords["kopf-user"] = "pw"
        cluster = ca_data(kube_pki, server.url)
        if form == "tls-server-name":
            cluster["tls-server-name"] = SERVER_NAME
        config = load_config(kubeconfig(tmp_path / "kc", cluster, users[form]))
        info = await KopfLogin(config)()
        assert isinstance(info, kopf.ConnectionInfo)
        connector = aiohttp.TCPConnector(ssl=info.as_ssl_context())
        url = info.server + r.SNAPSHOT.path(NS)
        async with (
            aiohttp.ClientSession(connector=connector, headers=info.as_http_headers()) as s,
            s.get(url) as resp,
        ):
            assert resp.status == 200
        assert server.seen[-1].user == "kopf-user"
        if form == "exec":
            assert info.token == "exec-1"

    serve(kube_pki, scenario, named=form == "tls-server-name")


def test_kopf_login_again_rereads_the_token_file_and_repeats_unchanged_credentials(tmp_path):
    """kopf calls the login again after a 401: a rotated token file gives the new token; a
    static token gives an equal answer, which kopf recognises as refused and stops on."""
    from konflux.kube.login import KopfLogin

    (tmp_path / "token").write_text("one")
    cluster = {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}
    login = KopfLogin(load_config(kubeconfig(tmp_path / "kc", cluster, {"tokenFile": "token"})))
    assert asyncio.run(login()).token == "one"
    (tmp_path / "token").write_text("two")
    assert asyncio.run(login()).token == "two"

    static = KopfLogin(load_config(kubeconfig(tmp_path / "kc2", cluster, {"token": "same"})))
    first = asyncio.run(static())
    assert asyncio.run(static()) == first
