"""The controllers end to end against the TLS API server: kopf logs in with our configuration.

`konflux controllers run` (a real process) with a kubeconfig holding only
`*-data` fields (what kind, minikube and `oc login` write) turns a build
PipelineRun into a Snapshot: kopf's watches and our reads and writes both
authenticate with the client certificate. With an exec plugin, a revoked token
makes kopf log in again, which runs the plugin again.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from konflux.controllers import constants as c
from konflux.controllers.operators import OperatorConfig, run
from konflux.kube.client import KubeClient
from konflux.kube.config import ClusterConfig, load_config
from tests.controllers.test_controllers_e2e import NS, build_run, obj
from tests.fixtures.kube_api import (
    KubePKI,
    TlsApiServer,
    b64,
    exec_plugin_script,
    exec_runs,
    kubeconfig,
)


def data_kubeconfig(path: Path, pki: KubePKI, server: TlsApiServer, user: str) -> Path:
    cert, key = pki.client(user)
    return kubeconfig(
        path,
        {"server": server.url, "certificate-authority-data": b64(pki.ca_pem)},
        {"client-certificate-data": b64(cert), "client-key-data": b64(key)},
    )


async def seed(admin: KubeClient) -> None:
    """An Application with one Component: enough for a build run to become a Snapshot."""
    await admin.create(c.APPLICATION, obj(c.APPLICATION, "app", NS, {"displayName": "app"}))
    component = {
        "application": "app",
        "componentName": "api",
        "source": {"git": {"url": "https://git.example/org/api.git"}},
        "containerImage": "registry.local/tenant/api",
    }
    await admin.create(c.COMPONENT, obj(c.COMPONENT, "api", NS, component))


def started(name: str, start: str) -> dict[str, Any]:
    """A succeeded build run named `name` that started at `start` (the Snapshot's name)."""
    run = build_run(name)
    run["status"]["startTime"] = start
    return run


async def controllers_run(kubeconfig_path: Path, only: str, home: Path, **kw: Any) -> Any:
    """`konflux controllers run` in its own process, as a user starts it."""
    env = {**os.environ, "HOME": str(home)}
    env.pop("KUBECONFIG", None)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "konflux",
        "controllers",
        "run",
        "--kubeconfig",
        str(kubeconfig_path),
        "--standalone",
        "--only",
        only,
        env=env,
        **kw,
    )


async def wait_for(what: str, check: Any, timeout: float = 60.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (value := check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return value


def test_controllers_run_with_a_data_field_kubeconfig_over_tls(kube_pki, tmp_path):
    async def main() -> None:
        async with TlsApiServer(kube_pki) as server:
            kc = data_kubeconfig(tmp_path / "kc", kube_pki, server, "konflux-controllers")
            admin = load_config(data_kubeconfig(tmp_path / "admin", kube_pki, server, "admin"))
            proc = await controllers_run(
                kc,
                "integration",
                tmp_path,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            try:
                async with KubeClient(admin) as client:
                    await seed(client)
                    await client.create(c.PIPELINE_RUN, build_run("api-on-push-1"))

                def done() -> Any:
                    if proc.returncode is not None:
                        raise AssertionError(f"controllers exited with {proc.returncode}")
                    return server.api.live(c.SNAPSHOT, NS)

                (snapshot,) = await wait_for("a Snapshot", done)
                assert snapshot["spec"]["application"] == "app"
            finally:
                proc.send_signal(signal.SIGINT)
                output, _ = await asyncio.wait_for(proc.communicate(), 30)
            ours = [s for s in server.seen if s.user == "konflux-controllers"]
            verbs = {(s.verb, s.path.rsplit("/", 1)[-1]) for s in ours}
            assert ("watch", "pipelineruns") in verbs, output.decode()[-2000:]  # kopf
            assert ("create", "snapshots") in verbs  # our client
            assert {s.via for s in ours} == {"x509"}
            assert all(s.status == 200 for s in ours)

    asyncio.run(main())


def test_controllers_run_refuses_an_untrusted_server_with_a_clear_error(kube_pki, tmp_path):
    async def main() -> None:
        async with TlsApiServer(kube_pki) as server:
            kc = kubeconfig(
                tmp_path / "kc",
                {"server": server.url, "certificate-authority-data": b64(kube_pki.other_ca_pem)},
                {"token": "t"},
            )
            proc = await controllers_run(
                kc,
                "release",
                tmp_path,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            _, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 1
            text = err.decode()
            assert "cannot list releases.appstudio.redhat.com in all namespaces" in text
            assert "certificate is not trusted" in text
            assert "Traceback" not in text

    asyncio.run(main())


def test_operators_log_in_again_with_the_exec_plugin_after_a_401(kube_pki, tmp_path):
    v1 = "client.authentication.k8s.io/v1"
    state = tmp_path / "runs"
    plugin = exec_plugin_script(tmp_path / "plugin", v1, state)

    async def main() -> None:
        async with TlsApiServer(kube_pki) as server:
            server.tokens["ctl-1"] = "controller-first-token"
            user = {
                "exec": {
                    "apiVersion": v1,
                    "command": str(plugin),
                    "interactiveMode": "Never",
                    "env": [{"name": "TOKEN_PREFIX", "value": "ctl"}],
                }
            }
            cluster = {"server": server.url, "certificate-authority-data": b64(kube_pki.ca_pem)}
            config: ClusterConfig = load_config(kubeconfig(tmp_path / "kc", cluster, user))
            admin = load_config(data_kubeconfig(tmp_path / "admin", kube_pki, server, "admin"))
            stop, ready = asyncio.Event(), asyncio.Event()
            task = asyncio.create_task(
                run(
                    config,
                    OperatorConfig(only=("integration",)),
                    standalone=True,
                    stop_flag=stop,
                    ready_flag=ready,
                )
            )
            try:
                await asyncio.wait_for(ready.wait(), 30)
                async with KubeClient(admin) as client:
                    await seed(client)
                    await client.create(c.PIPELINE_RUN, started("b1", "2026-05-01T10:00:00Z"))
                    await wait_for("the first Snapshot", lambda: server.api.live(c.SNAPSHOT, NS))
                    # the token is revoked and the watches are cut: kopf must log in again
                    server.tokens = {"ctl-2": "controller-second-token"}
                    server.drop_connections()
                    await wait_for(
                        "a watch with the new token",
                        lambda: any(
                            s.verb == "watch" and s.user == "controller-second-token"
                            for s in server.seen
                        ),
                    )
                    await client.create(c.PIPELINE_RUN, started("b2", "2026-05-01T11:00:00Z"))
                    await wait_for(
                        "the second Snapshot", lambda: len(server.api.live(c.SNAPSHOT, NS)) == 2
                    )
            finally:
                stop.set()
                await asyncio.wait_for(task, 30)
            assert any(s.status == 401 for s in server.seen)
            # kopf's login and our client share the plugin's credential: two runs, not more
            assert len(exec_runs(state)) == 2

    asyncio.run(main())


def test_gc_snapshots_over_tls_with_a_data_field_kubeconfig(kube_pki, tmp_path):
    """`konflux controllers gc-snapshots` (a real process) lists and deletes over TLS,
    authenticated by the client certificate in the kubeconfig's `*-data` fields."""

    def snapshot(name: str) -> dict[str, Any]:
        return obj(c.SNAPSHOT, name, NS, {"application": "app"}, labels={c.COMPONENT_LABEL: "api"})

    async def main() -> None:
        async with TlsApiServer(kube_pki) as server:
            kc = data_kubeconfig(tmp_path / "kc", kube_pki, server, "konflux-gc")
            admin = load_config(data_kubeconfig(tmp_path / "admin", kube_pki, server, "admin"))
            async with KubeClient(admin) as client:
                for i in range(4):
                    await client.create(c.SNAPSHOT, snapshot(f"s{i}"))
                    await asyncio.sleep(0.002)  # distinct creation timestamps
                # A released Snapshot is kept whatever its age.
                await client.create(c.RELEASE, obj(c.RELEASE, "r", NS, {"snapshot": "s0"}))
            env = {**os.environ, "HOME": str(tmp_path)}
            env.pop("KUBECONFIG", None)
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "konflux",
                "controllers",
                "gc-snapshots",
                "--kubeconfig",
                str(kc),
                "--keep-push",
                "1",
                "--keep-per-component",
                "1",
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 0, err.decode()
            gone = [json.loads(line) for line in out.decode().splitlines()]
            assert gone == [
                {"namespace": NS, "name": name, "deleted": True} for name in ("s1", "s2")
            ]
            live = sorted(s["metadata"]["name"] for s in server.api.live(c.SNAPSHOT, NS))
            assert live == ["s0", "s3"]
            ours = [s for s in server.seen if s.user == "konflux-gc"]
            verbs = sorted({(s.verb, s.path.rsplit("/", 1)[-1]) for s in ours})
            assert ("list", "snapshots") in verbs and ("list", "releases") in verbs
            deleted = sorted(s.path.rsplit("/", 1)[-1] for s in ours if s.verb == "delete")
            assert deleted == ["s1", "s2"]
            assert {s.via for s in ours} == {"x509"}
            assert all(s.status == 200 for s in ours)

    asyncio.run(main())
