"""Run a Tekton Task's steps on this machine, as a TaskRun would (for `konflux dev simulate`).

Enough of Tekton's contract for our own tasks to run unchanged: params with defaults,
`$(params.X)` and `$(results.X.path)` substitution, `stepTemplate` and step `env`,
`script` (with its shebang) or `command`/`args`, `when` (`in`/`notin`), `onError:
continue`, results read from their files. `/tekton/home` and `/tekton/results` are
directories under the run's work directory; every step sees the same `PATH` (so
`konflux` is the running one) plus `KUBECONFIG` and what the caller adds. Images,
volumes and resources are not emulated: steps run in this environment.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_PARAM = re.compile(r"\$\(params\.([A-Za-z0-9_.-]+)\)")
_RESULT = re.compile(r"\$\(results\.([A-Za-z0-9_.-]+)\.path\)")


class TaskRunError(Exception):
    """The task file or its params are wrong (not a step failing: that is a result)."""


@dataclass
class StepOutcome:
    name: str
    exit_code: int | None  # None: skipped by `when`
    log: str = ""
    tolerated: bool = False  # `onError: continue`: a failure does not fail the run


@dataclass
class TaskRunOutcome:
    steps: list[StepOutcome] = field(default_factory=list)
    results: dict[str, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        """As Tekton: a failing step fails the run unless it has `onError: continue`."""
        return all(s.exit_code in (None, 0) for s in self.steps if not s.tolerated)

    def log(self, step: str) -> str:
        return next((s.log for s in self.steps if s.name == step), "")


def load_task(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or doc.get("kind") != "Task":
        raise TaskRunError(f"{path}: not a Tekton Task")
    return doc


def run_task(
    task: dict[str, Any],
    params: dict[str, str],
    workdir: Path,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 600.0,
) -> TaskRunOutcome:
    spec = task["spec"]
    declared = {p["name"]: p.get("default") for p in spec.get("params") or []}
    unknown = set(params) - set(declared)
    if unknown:
        raise TaskRunError(f"params not declared by the task: {', '.join(sorted(unknown))}")
    values = {**declared, **params}
    missing = [k for k, v in values.items() if v is None]
    if missing:
        raise TaskRunError(f"params without a value: {', '.join(missing)}")
    home, results = workdir / "home", workdir / "results"
    home.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)

    def subst(text: str) -> str:
        text = _PARAM.sub(lambda m: str(values[m.group(1)]), text)
        text = _RESULT.sub(lambda m: str(results / m.group(1)), text)
        return text.replace("/tekton/home", str(home)).replace("/tekton/results", str(results))

    base = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        **(env or {}),
    }
    for item in (spec.get("stepTemplate") or {}).get("env") or []:
        base[item["name"]] = subst(str(item.get("value", "")))
    outcome = TaskRunOutcome()
    for step in spec["steps"]:
        if not _when(step, subst):
            outcome.steps.append(StepOutcome(step["name"], None, "skipped (when)"))
            continue
        step_env = dict(base)
        for item in step.get("env") or []:
            step_env[item["name"]] = subst(str(item.get("value", "")))
        if "script" in step:
            script = workdir / f"step-{step['name']}"
            script.write_text(subst(step["script"]), encoding="utf-8")
            script.chmod(0o700)
            argv = [str(script)]
        else:
            argv = [subst(str(a)) for a in [*step.get("command", []), *step.get("args", [])]]
        try:
            done = subprocess.run(
                argv,
                env=step_env,
                cwd=home,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            code, log = done.returncode, done.stdout + done.stderr
        except (OSError, subprocess.TimeoutExpired) as exc:
            code, log = 1, f"step {step['name']} could not run: {exc}"
        record = StepOutcome(step["name"], code, log, step.get("onError") == "continue")
        outcome.steps.append(record)
        if code != 0 and not record.tolerated:
            break
    for r in spec.get("results") or []:
        path = results / r["name"]
        if path.exists():
            outcome.results[r["name"]] = path.read_text(encoding="utf-8").strip()
    return outcome


def _when(step: dict[str, Any], subst: Any) -> bool:
    for expr in step.get("when") or []:
        value = subst(str(expr["input"]))
        values = [subst(str(v)) for v in expr.get("values") or []]
        if (expr["operator"] == "in") != (value in values):
            return False
    return True
