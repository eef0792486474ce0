"""The Tekton YAML in tasks/ passes tekton-lint (installed by scripts/setup into .tools/)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = ROOT / ".tools" / "node_modules" / ".bin" / "tekton-lint"


def test_tasks_have_no_tekton_lint_errors() -> None:
    assert LINT.exists(), f"{LINT} is missing: run `bash scripts/setup` (it installs tekton-lint)"
    files = sorted(str(p) for p in (ROOT / "tasks").glob("*/*.yaml"))
    assert files, "no Tekton YAML found under tasks/"
    done = subprocess.run(
        [str(LINT), "--format", "json", *files], capture_output=True, text=True, timeout=120
    )
    problems = json.loads(done.stdout or "[]")
    errors = [p for p in problems if p.get("level") == "error"]
    assert (done.returncode, errors) == (0, [])
