"""Step definitions for `bench/ec_scenarios.py`: `ec`'s acceptance steps, done with our parts.

Each step mirrors the one in github:conforma/cli `acceptance/` of the same
wording, built with this project's own code: `docker-registry` for the stub
registry, our signer for cosign signatures and attestations, a static HTTPS
server over bare repositories for the stub git daemon, the kmock API server
emulator for the stub cluster. A step that needs something we cannot run here
(Tekton, a TUF or Rekor stub, wiremock) raises `NotReplayable` naming itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class NotReplayable(Exception):
    """The scenario needs a step we cannot replay on this machine."""


class StepFailed(Exception):
    """An assertion step did not hold."""


STEPS: list[tuple[re.Pattern[str], Callable[..., None]]] = []


def step(pattern: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        STEPS.append((re.compile(pattern), fn))
        return fn

    return register


class World:
    """One scenario's state: its work directory, fixtures, variables and the last command."""

    def __init__(self, repo: Path, scenario: str, snapshots: dict[str, str]):
        self.repo = repo
        self.scenario = scenario
        self.snapshots = snapshots
        self.dir = Path(tempfile.mkdtemp(prefix="ec-scenario-"))
        (self.dir / "acceptance").symlink_to(repo / "acceptance")
        (self.dir / "features").symlink_to(repo / "features")
        self.home = self.dir / "home"
        self.home.mkdir()
        self.env: dict[str, str] = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.home),
            "NO_COLOR": "",
        }
        self.variables: dict[str, str] = {"TMPDIR": str(self.dir)}
        self.snapshot_counts: dict[str, int] = {}
        self.mismatches: list[tuple[str, str, str]] = []
        self.stdout = ""
        self.stderr = ""
        self.exit_code: int | None = None
        self.cleanups: list[Callable[[], None]] = []

    def expand(self, text: str) -> str:
        return re.sub(
            r"\$\{(\w[^}]*)\}|\$(\w+)",
            lambda m: self.variables.get(m.group(1) or m.group(2), ""),
            text,
        )

    def run(self, args: list[str], stdin: str | None = None) -> None:
        from konflux import __version__

        self.variables.setdefault("EC_VERSION", f"v{__version__}")
        env = {k: v for k, v in self.env.items() if v != ""}
        done = subprocess.run(
            [sys.executable, "-m", "konflux", *args],
            cwd=self.dir,
            env=env,
            capture_output=True,
            text=True,
            input=stdin,
            timeout=600,
        )
        self.stdout, self.stderr, self.exit_code = done.stdout, done.stderr, done.returncode

    def match_snapshot(self, qualifier: str, text: str) -> None:
        from ec_scenarios import normalise

        count = self.snapshot_counts.get(qualifier, 0) + 1
        self.snapshot_counts[qualifier] = count
        key = f"{self.scenario}:{qualifier} - {count}"
        if key not in self.snapshots:
            raise NotReplayable(f"no snapshot {key!r} in ec's __snapshots__")
        expected = self.snapshots[key]
        actual = normalise(text, self.variables)
        if actual.rstrip("\n") != expected.rstrip("\n"):
            self.mismatches.append((qualifier, expected, actual))

    def close(self) -> None:
        for fn in reversed(self.cleanups):
            fn()
        shutil.rmtree(self.dir, ignore_errors=True)


# -- the command and its outcome ----------------------------------------------------------------


@step(r'the environment variable is set "([^"]*)"')
def set_env(w: World, _: Any, assignment: str) -> None:
    key, _, value = assignment.partition("=")
    w.env[key] = value


@step(r'ec command is run with "(.*)"')
def run_ec(w: World, s: Any, params: str) -> None:
    # ec splits the expanded parameters on single spaces, quotes and all.
    w.run(w.expand(params).split(" "))


@step(r"the exit status should be (\d+)")
def exit_status(w: World, _: Any, code: str) -> None:
    if w.exit_code != int(code):
        w.mismatches.append(("exit status", code, str(w.exit_code) + "\n" + w.stderr[-2000:]))


@step(r"the output should match the snapshot")
def output_snapshot(w: World, _: Any) -> None:
    w.match_snapshot("stdout", w.stdout)
    w.match_snapshot("stderr", w.stderr)


@step(r"the standard output should contain")
def stdout_contains(w: World, s: Any) -> None:
    _contains(w, "stdout", w.stdout, s.doc or "")


@step(r"the standard error should contain")
def stderr_contains(w: World, s: Any) -> None:
    _contains(w, "stderr", w.stderr, s.doc or "")


def _contains(w: World, label: str, actual: str, expected: str) -> None:
    expected = w.expand(expected)
    try:
        want, got = json.loads(expected), json.loads(actual)
    except ValueError:
        if expected.strip() not in actual:
            w.mismatches.append((label, expected, actual))
        return
    if not _json_matches(want, got):
        w.mismatches.append((label, json.dumps(want, indent=2), json.dumps(got, indent=2)))


def _json_matches(want: Any, got: Any) -> bool:
    """ec compares JSON ignoring key order; string values may be regular expressions."""
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and all(k in got and _json_matches(v, got[k]) for k, v in want.items())
            and set(want) == set(got)
        )
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(want) == len(got)
            and all(_json_matches(a, b) for a, b in zip(want, got, strict=True))
        )
    if isinstance(want, str) and isinstance(got, str):
        if want == got:
            return True
        try:
            return re.fullmatch(want, got) is not None
        except re.error:
            return False
    return want == got


# -- files --------------------------------------------------------------------------------------


@step(r'a (?:file|pipeline definition file|track bundle file) named "([^"]*)" containing')
def create_file(w: World, s: Any, name: str) -> None:
    path = w.dir / w.expand(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(w.expand(s.doc or ""), encoding="utf-8")


@step(r'the "([^"]*)" file should match the snapshot')
def file_snapshot(w: World, _: Any, name: str) -> None:
    path = Path(w.expand(name))
    path = path if path.is_absolute() else w.dir / path
    w.match_snapshot(name, path.read_text(encoding="utf-8") if path.exists() else "")
