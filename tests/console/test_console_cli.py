"""`konflux console serve` and `konflux dev simulate --console`: flags, startup, TLS, cost."""

from __future__ import annotations

import asyncio
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress

import aiohttp
from click.testing import CliRunner
from console_support import ServedConsole, small_world

from konflux.cli.controllers import dev
from konflux.cli.web_console import console
from konflux.testing import free_port


def test_version_does_not_import_the_console():
    code = (
        "import sys; from click.testing import CliRunner; from konflux.cli.main import cli; "
        "r = CliRunner().invoke(cli, ['--version']); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in sys.modules if m == 'jinja2' or m.startswith('konflux.console')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_tls_needs_both_files(tmp_path):
    cert = tmp_path / "tls.crt"
    cert.write_text("x")
    result = CliRunner().invoke(console, ["serve", "--tls-cert", str(cert)])
    assert result.exit_code == 2 and "give both --tls-cert and --tls-key" in result.output


def test_plain_http_off_loopback_is_refused():
    result = CliRunner().invoke(console, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to serve bearer tokens over plain HTTP on 0.0.0.0" in result.output


def test_dev_simulate_offers_the_console():
    result = CliRunner().invoke(dev, ["simulate", "--help"])
    assert "--console" in result.output and "--console-port" in result.output


def test_serve_over_tls_with_a_kubeconfig(tmp_path, kube_pki):
    """The real command, as a process: a kubeconfig naming a TLS API server and the console's
    token (the emulator enforcing deploy/console's rights), TLS itself, a page for a user."""
    from test_console_deploy import deployed_rbac

    from konflux.webhooks.certs import generate

    certs = generate(tmp_path / "certs", ["127.0.0.1"])
    sa = "system:serviceaccount:konflux-console:konflux-console"
    users = {"admin": ("system:masters",), sa: ("system:serviceaccounts",)}
    with ServedConsole(small_world(), users=users, rbac=deployed_rbac(), pki=kube_pki) as cluster:
        kubeconfig = cluster.cluster.kubeconfig_for(cluster.tokens[sa])
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "konflux", "console", "serve", "--kubeconfig", str(kubeconfig),
             "--tls-cert", str(certs.cert), "--tls-key", str(certs.key), "--port", str(port)],
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        context = ssl.create_default_context(cafile=str(certs.ca_cert))
        try:
            url = f"https://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(url + "/healthz", context=context) as r:
                        assert r.read() == b"ok\n"
                        break
                except OSError:
                    assert proc.poll() is None, proc.stderr.read()
                    assert time.monotonic() < deadline, "the console did not start"
                    time.sleep(0.2)
            request = urllib.request.Request(
                url + "/ns/team-a/applications/shop",
                headers={"Authorization": f"Bearer {cluster.tokens['admin']}"},
            )
            with urllib.request.urlopen(request, context=context) as r:
                body = r.read().decode()
            assert "shop-2-failed" in body
            assert cluster.access.counters.total == 0  # the process asked the cluster itself
        finally:
            proc.send_signal(signal.SIGINT)
            with suppress(subprocess.TimeoutExpired):
                proc.wait(10)
            proc.kill()
        assert "console: serving on https://127.0.0.1:" in proc.stderr.read()


def test_simulation_hook_serves_while_the_flow_runs_and_then_until_interrupted():
    from konflux.testing import LocalCluster, simulation_console

    lines: list[str] = []

    async def scenario() -> None:
        port = free_port()
        async with LocalCluster() as cluster:
            stop = asyncio.Event()
            hook = simulation_console(port, lines.append, stop.wait)
            async with hook(cluster):
                token = lines[0].rsplit(" ", 1)[1].rstrip(")")
                assert f"http://127.0.0.1:{port}/" in lines[0]
                async with (
                    aiohttp.ClientSession() as http,
                    http.get(
                        f"http://127.0.0.1:{port}/", headers={"Authorization": f"Bearer {token}"}
                    ) as r,
                ):
                    assert r.status == 200 and "Namespaces" in await r.text()
                asyncio.get_running_loop().call_later(0.3, stop.set)
            # Leaving the hook waited to be stopped, and only then stopped serving.
            assert "still serving" in lines[-1]
            assert stop.is_set()

    asyncio.run(scenario())
