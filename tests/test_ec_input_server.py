"""`validate input --server` as `ec` serves it: a real `konflux` process on a free loopback
port, spoken to over real HTTP (`--server-address`, `--server-port`, `POST
/v1/validate/input`, `/live`, `/ready`, `ec`'s error bodies, Ctrl-C)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from support import ROOT

from konflux.testing import free_port

POLICY = str(ROOT / "examples" / "policy.yaml")
PASSING = {
    "config": {"Labels": {"name": "a", "version": "1", "vendor": "v", "maintainer": "a@b.c"}}
}
FAILING_YAML = "config:\n  Labels:\n    name: a\n    version: '1'\n"
QUIET = ("Traceback", "Exception ignored", "KeyboardInterrupt")


@dataclass
class Server:
    proc: subprocess.Popen[str]
    port: int

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"Content-Type": content_type} if content_type else {}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


def start_server(port: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "konflux",
            "validate",
            "input",
            "--server",
            "--server-address",
            "127.0.0.1",
            "--server-port",
            str(port),
            "-p",
            POLICY,
            "--effective-time",
            "2026-01-01",
            "--allow-past-effective-time",
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.proc.poll() is None, server.proc.communicate()
        try:
            status, _, _ = server.request("GET", "/ready")
        except OSError:
            time.sleep(0.1)
            continue
        if status == 200:
            return
        time.sleep(0.1)
    raise AssertionError("the server did not become ready within 60 s")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    port = free_port()
    running = Server(start_server(port), port)
    try:
        wait_ready(running)
        yield running
    finally:
        if running.proc.poll() is None:
            running.proc.send_signal(signal.SIGINT)
            running.proc.communicate(timeout=20)


def test_live_and_ready_answer_as_ec(server: Server):
    assert server.request("GET", "/live")[::2] == (200, b'{"status": "ok"}')
    status, _, body = server.request("GET", "/ready")
    assert (status, json.loads(body)) == (200, {"status": "ready"})


def test_a_passing_document_is_reported_with_the_pass_header(server: Server):
    status, headers, body = server.request(
        "POST", "/v1/validate/input", json.dumps(PASSING).encode(), "application/json"
    )
    report = json.loads(body)
    assert (status, headers["X-Conforma-Result"]) == (200, "pass")
    assert report["success"] is True
    assert [f["filepath"] for f in report["filepaths"]] == ["input"]


def test_a_yaml_document_with_violations_fails_with_the_fail_header(server: Server):
    status, headers, body = server.request(
        "POST", "/v1/validate/input", FAILING_YAML.encode(), "application/yaml"
    )
    report = json.loads(body)
    assert (status, headers["X-Conforma-Result"], report["success"]) == (200, "fail", False)
    codes = {v["metadata"]["code"] for v in report["filepaths"][0]["violations"]}
    assert codes == {"labels.required_labels"}


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"", 400, "request body is empty"),
        (b"not valid json or yaml map", 400, "request body is not valid JSON or YAML"),
    ],
)
def test_bad_bodies_get_ecs_error_documents(server: Server, body: bytes, status: int, error):
    answer = server.request("POST", "/v1/validate/input", body)
    assert (answer[0], json.loads(answer[2])) == (status, {"error": error, "status": status})


def test_a_body_in_many_chunks_is_read_whole(server: Server):
    # ~1 MB arrives in many reads; a body cut at the first one would not parse.
    document = {**PASSING, "padding": "x" * (1 << 20)}
    status, headers, body = server.request(
        "POST", "/v1/validate/input", json.dumps(document).encode(), "application/json"
    )
    assert (status, headers["X-Conforma-Result"]) == (200, "pass"), body[:200]


def test_a_body_past_80_mb_is_refused_with_413(server: Server):
    status, _, body = server.request("POST", "/v1/validate/input", b" " * ((80 << 20) + 1))
    assert (status, json.loads(body)) == (
        413,
        {"error": "request body exceeds 80MB limit", "status": 413},
    )


def test_the_server_still_answers_after_the_errors(server: Server):
    # Runs after the error tests in this module: none of them broke the process.
    assert server.request("GET", "/live")[0] == 200
    assert server.proc.poll() is None


def test_a_port_in_use_is_one_line_and_exit_1():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        proc = start_server(port)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    errors = [line for line in err.splitlines() if not line.startswith("{")]  # JSON log lines
    assert errors == [f"Error: cannot listen on 127.0.0.1:{port}: the address is already in use"]
    assert not any(word in err for word in QUIET)


def test_ctrl_c_stops_the_server_with_130():
    port = free_port()
    running = Server(start_server(port), port)
    wait_ready(running)
    started = time.monotonic()
    running.proc.send_signal(signal.SIGINT)
    _, err = running.proc.communicate(timeout=20)
    assert running.proc.returncode == 130, err
    assert time.monotonic() - started < 5
    assert not any(word in err for word in QUIET), err
    with pytest.raises(OSError):  # nothing listens there any more
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_server_takes_no_input_files():
    done = subprocess.run(
        [sys.executable, "-m", "konflux", "validate", "input", "--server", "-p", POLICY, "x.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    assert done.returncode == 2
    assert "Error: --server does not take input files" in done.stderr
