"""Startup: `konflux --version`/`--help` against importing click and rich, and `validate input`.

Issue 15's goals, measured in one run on one machine state (interleaved, so
background load affects every command alike):

- `konflux --version` and `konflux --help` within 3x of
  `python3 -c 'import click, rich'` (the floor of any click + rich CLI);
- `konflux validate input` on the README example within 2x of its evaluation
  time: the time `validate_inputs` takes in a fresh process (creating the
  embedded OPA engine, compiling the policy, evaluating), measured inside that
  process so interpreter start and imports are not counted.

and how long Ctrl-C takes: SIGINT to a `konflux policy test` busy in one
long OPA evaluation, until the process has exited (goal: within a second).

Each figure is the median of `--runs` fresh processes (`--interrupts` for
Ctrl-C, each waiting 2 s for the evaluation to be under way).

    python3 bench/startup.py [--runs 15] [--interrupts 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KONFLUX = [sys.executable, "-m", "konflux"]
if shutil.which("konflux"):
    KONFLUX = [shutil.which("konflux") or "konflux"]
EXAMPLE = ["validate", "input", "examples/input.json", "--policy", "examples/policy.yaml"]

EVALUATION_ONLY = """
import json, sys, time
from konflux.engine import Settings, load_policy, read_inputs, validate_inputs
import konflux.engine.evaluation, konflux.engine.schemas
konflux.engine.schemas._import_jsonschema()
policy = load_policy("examples/policy.yaml")
inputs = read_inputs(["examples/input.json"])
start = time.perf_counter()
validate_inputs(policy, inputs, Settings())
print(json.dumps(time.perf_counter() - start))
"""


SLOW_TEST = """package slow_test

import rego.v1

test_slow if {
\tcount([x | some x in numbers.range(1, 200000000); x % 7 == 0]) > 0
}
"""


def interrupt_latency(workdir: Path) -> float:
    """Seconds from SIGINT to exit of a `policy test` busy in a long evaluation."""
    (workdir / "slow_test.rego").write_text(SLOW_TEST)
    proc = subprocess.Popen(
        [*KONFLUX, "policy", "test", "slow_test.rego"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2)
    start = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 130, proc.returncode
    return elapsed


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def evaluation() -> float:
    done = subprocess.run(
        [sys.executable, "-c", EVALUATION_ONLY], cwd=ROOT, capture_output=True, text=True
    )
    return float(json.loads(done.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--interrupts", type=int, default=3)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {
        k: [] for k in ("floor", "version", "help", "validate", "evaluation")
    }
    for _ in range(args.runs):  # interleaved: load on the machine hits every figure alike
        samples["floor"].append(wall([sys.executable, "-c", "import click, rich"]))
        samples["version"].append(wall([*KONFLUX, "--version"]))
        samples["help"].append(wall([*KONFLUX, "--help"]))
        samples["validate"].append(wall([*KONFLUX, *EXAMPLE]))
        samples["evaluation"].append(evaluation())
    with tempfile.TemporaryDirectory() as tmp:
        samples["interrupt"] = [interrupt_latency(Path(tmp)) for _ in range(args.interrupts)]
    m = {k: statistics.median(v) for k, v in samples.items()}
    print(f"median of {args.runs} fresh processes ({' '.join(KONFLUX)})")
    print(f"  python3 -c 'import click, rich'      {m['floor'] * 1000:7.1f} ms")
    for name in ("version", "help"):
        ratio = m[name] / m["floor"]
        verdict = "met" if ratio <= 3 else "NOT met"
        print(
            f"  konflux --{name:<8}                  {m[name] * 1000:7.1f} ms"
            f"  ratio {ratio:.2f} (goal <= 3: {verdict})"
        )
    ratio = m["validate"] / m["evaluation"]
    verdict = "met" if ratio <= 2 else "NOT met"
    print(f"  konflux {' '.join(EXAMPLE)}")
    print(f"    wall                                {m['validate'] * 1000:7.1f} ms")
    print(
        f"    evaluation inside a process         {m['evaluation'] * 1000:7.1f} ms"
        f"  ratio {ratio:.2f} (goal <= 2: {verdict})"
    )
    worst = max(samples["interrupt"])
    print(
        f"  Ctrl-C during a long OPA evaluation: exit after {m['interrupt'] * 1000:.0f} ms"
        f" (median), {worst * 1000:.0f} ms (worst) (goal <= 1 s: "
        f"{'met' if worst <= 1 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
