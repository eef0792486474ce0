"""`konflux webhook certs` and `konflux webhook serve` (a real process, stopped with SIGTERM)."""

from __future__ import annotations

import base64
import json
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request

from click.testing import CliRunner
from cryptography import x509
from webhook_support import component, review

from konflux.cli.webhook import webhook


def test_certs_command(tmp_path):
    result = CliRunner().invoke(
        webhook, ["certs", "--dns", "hook.ns.svc", "--dns", "hook.ns", "--out", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    ca_pem = base64.b64decode(result.stdout.strip())
    assert ca_pem == (tmp_path / "c" / "ca.crt").read_bytes()
    cert = x509.load_pem_x509_certificate((tmp_path / "c" / "tls.crt").read_bytes())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_pem))
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["hook.ns.svc", "hook.ns"]


def test_serve_requires_cert(tmp_path):
    result = CliRunner().invoke(
        webhook, ["serve", "--tls-cert", str(tmp_path / "x"), "--tls-key", str(tmp_path / "y")]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PIPES = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}


def _wait_ready(proc: subprocess.Popen[str], port: int, context: ssl.SSLContext) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(
                f"https://localhost:{port}/readyz", context=context, timeout=2
            ) as resp:
                if resp.status == 200:
                    return
        except (OSError, ssl.SSLError):
            pass
        assert time.monotonic() < deadline, "serve never became ready"
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.1)


def test_serve_process(tmp_path, pki, monkeypatch):
    port = _free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from konflux.cli.webhook import webhook; webhook()",
            "serve",
            "--tls-cert",
            str(pki.root / "tls.crt"),
            "--tls-key",
            str(pki.root / "tls.key"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=env,
        text=True,
        **PIPES,
    )
    context = pki.client_context()
    try:
        _wait_ready(proc, port, context)
        body = json.dumps(review(component("web", ["api"]), uid="cli-uid")).encode()
        req = urllib.request.Request(
            f"https://localhost:{port}/validate-component",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, context=context, timeout=5) as resp:
            answer = json.loads(resp.read())["response"]
        # no kubeconfig here: the Components cannot be listed to check build-nudges-ref for a
        # cycle, so the Component is denied
        assert answer["allowed"] is False
        assert "no Kubernetes API configured" in answer["status"]["message"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    decided = [line for line in lines if line.get("uid") == "cli-uid"]
    assert (
        decided and decided[0]["allowed"] is False and decided[0]["path"] == ("/validate-component")
    )
    assert any(line["msg"] == "shutting down" for line in lines)


def test_serve_logs_one_json_line_per_event_and_ctrl_c_exits_130(tmp_path, pki):
    """Through the real `konflux` entry point, whose root logger has a plain-text handler."""
    port = _free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    args = ["webhook", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    args += ["--tls-cert", str(pki.root / "tls.crt"), "--tls-key", str(pki.root / "tls.key")]
    proc = subprocess.Popen([sys.executable, "-m", "konflux", *args], env=env, text=True, **PIPES)
    context = pki.client_context()
    try:
        _wait_ready(proc, port, context)
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130
    lines = [json.loads(line) for line in stderr.splitlines()]  # every line is JSON
    assert [line["msg"] for line in lines].count("serving") == 1
    assert any(line["msg"] == "shutting down" for line in lines)
