"""Ctrl-C: real SIGINTs to real `konflux` processes, while OPA evaluates and while a registry runs.

Each interrupted command would otherwise run for minutes; it must end with exit
130, print no traceback or abort message, and leave no temporary directory or
registry process behind. (How fast it ends is a figure: `bench/startup.py`.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import ROOT

from konflux.engine.evaluator._bridge import BridgeEngine
from konflux.engine.sigstore import generate_key_pair

KONFLUX = [sys.executable, "-m", "konflux"]
# One Rego test that keeps OPA busy in Go for minutes (no builtin calls back into Python).
SLOW_TEST = """package slow_test

import rego.v1

test_slow if {
\tcount([x | some x in numbers.range(1, 200000000); x % 7 == 0]) > 0
}
"""
# A policy whose one rule does the same, so `validate input` is interrupted mid-evaluation.
SLOW_RULE = """package slow

import rego.v1

# METADATA
# title: Slow
# custom:
#   short_name: slow
#   failure_msg: never
deny contains {"code": "slow.slow", "msg": "never"} if {
\tcount([x | some x in numbers.range(1, 200000000); x % 7 == 0]) < 0
}
"""
QUIET = ("Traceback", "Exception ignored", "Aborted", "KeyboardInterrupt")


def start(args: list[str], tmp: Path, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp)}
    return subprocess.Popen(
        [*KONFLUX, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def interrupt(proc: subprocess.Popen[str]) -> tuple[str, str]:
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)  # uninterrupted, the command runs for minutes
    return out, err


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    d = tmp_path / "tmp"
    d.mkdir()
    return d


def test_ctrl_c_stops_policy_test_while_opa_evaluates(tmp_path: Path, tmp: Path):
    (tmp_path / "slow_test.rego").write_text(SLOW_TEST)
    proc = start(["policy", "test", "slow_test.rego"], tmp, tmp_path)
    time.sleep(2)  # compiled and evaluating by now
    out, err = interrupt(proc)
    assert proc.returncode == 130
    assert not any(word in out + err for word in QUIET), err
    assert list(tmp.iterdir()) == []


def test_ctrl_c_stops_validate_input_mid_evaluation(tmp_path: Path, tmp: Path):
    (tmp_path / "slow").mkdir()
    (tmp_path / "slow" / "slow.rego").write_text(SLOW_RULE)
    policy = '{"sources": [{"policy": ["slow"]}]}'
    proc = start(["validate", "input", "{}", "-p", policy], tmp, tmp_path)
    time.sleep(2)
    out, err = interrupt(proc)
    assert proc.returncode == 130
    assert not any(word in out + err for word in QUIET), err
    assert list(tmp.iterdir()) == []  # the sources' work directory too


def _processes_under(path: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(path) in cmdline:
            found.append(int(entry.name))
    return found


def test_ctrl_c_during_the_demo_stops_its_registry_and_removes_its_directory(
    tmp_path: Path, tmp: Path
):
    proc = start(["demo"], tmp, tmp_path)
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    line = ""
    while "Building" not in line:  # the registry is up
        line = proc.stderr.readline()
        assert line or proc.poll() is None, "the demo ended before it started its registry"
        assert time.monotonic() < deadline
    assert _processes_under(tmp), "the registry should be running under TMPDIR"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert not any(word in err for word in QUIET), err
    assert _processes_under(tmp) == []
    assert list(tmp.iterdir()) == []


def test_a_normal_run_leaves_no_source_directories(tmp: Path):
    done = subprocess.run(
        [*KONFLUX, "policy", "inspect", "-s", "examples/rego", "-o", "names"],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert list(tmp.iterdir()) == []


def test_keyboard_interrupt_in_a_builtin_ends_the_evaluation_and_propagates():
    engine = BridgeEngine()
    calls = []

    def interrupted(x: object) -> object:
        calls.append(x)
        raise KeyboardInterrupt

    engine.register_function("test.interrupted", interrupted, arity=1)
    engine.add_policy(
        "p.rego",
        "package p\n\nimport rego.v1\n\nx := [y | some i in numbers.range(1, 1000); "
        "y := test.interrupted(i)]\n",
    )
    try:
        with pytest.raises(KeyboardInterrupt):
            engine.eval_query("v = data.p.x")
        assert calls == [1]  # the first call ended the evaluation
        assert engine.eval_query("v = 1") == [{"v": 1}]  # and the engine is still usable
    finally:
        engine.close()


def test_ctrl_c_stops_validate_image_waiting_on_a_stalled_registry(
    tmp_path: Path, tmp: Path, fault_proxy
):
    # Every registry request hangs: without Ctrl-C the run waits for --timeout (5 min).
    fault_proxy.inject("hang")
    key = tmp_path / "cosign.pub"
    key.write_bytes(generate_key_pair(b"").public_pem)
    proc = start(
        ["validate", "image", "-i", f"{fault_proxy.host}/stall/app:v1", "-p",
         str(ROOT / "examples" / "image-policy.yaml"), "-k", str(key), "--ignore-rekor"],
        tmp,
        ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while fault_proxy.hits == 0:  # the run is past loading and waiting on the registry
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "validate image never asked the registry"
        time.sleep(0.05)
    time.sleep(0.3)
    sent = time.monotonic()
    out, err = interrupt(proc)
    took = time.monotonic() - sent
    assert proc.returncode == 130, err
    assert not any(word in out + err for word in QUIET), err
    assert list(tmp.iterdir()) == []  # the policy sources' work directory too
    # The figure is measured by bench/startup.py; this bound only catches a hang (the run
    # would otherwise go on for minutes).
    assert took < 10, took
