"""Run Conforma's own policy test suite through `konflux.engine.run_tests`.

Usage:
    python bench/conforma_suite.py --policy-repo DIR [--run REGEX] [--json]

DIR is a checkout of https://github.com/conforma/policy. The files tested are
those of its Makefile's TEST_FILES: DIR/example/data/rule_data.yml, DIR/policy
and DIR/checks (as `opa test example/data/rule_data.yml policy checks`).

Prints total / passed / failed / errored / skipped, the pass rate, the wall
time (loading, compiling and running), and every non-passing test; the same
figures are repeated for the tests under DIR/policy alone (the goal there:
>= 95 % passing in <= 120 s).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from konflux.engine import run_tests
from konflux.engine.testing import TestResult

POLICY_GOAL_RATE = 95.0
POLICY_GOAL_SECONDS = 120.0


def summarize(results: list[TestResult]) -> dict[str, float | int]:
    counts = {
        s: sum(1 for r in results if r.status == s) for s in ("PASS", "FAIL", "ERROR", "SKIP")
    }
    total = len(results)
    run = total - counts["SKIP"]
    return {
        "total": total,
        "passed": counts["PASS"],
        "failed": counts["FAIL"],
        "errored": counts["ERROR"],
        "skipped": counts["SKIP"],
        "pass_rate": round(100.0 * counts["PASS"] / run, 2) if run else 0.0,
    }


def _line(label: str, s: dict[str, float | int]) -> str:
    return (
        f"{label:<10} total {s['total']:>5}  passed {s['passed']:>5}  failed {s['failed']:>4}  "
        f"errored {s['errored']:>4}  skipped {s['skipped']:>3}  pass rate {s['pass_rate']:6.2f} %"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--policy-repo", required=True, type=Path, help="checkout of conforma/policy"
    )
    parser.add_argument("--run", help="only tests whose data.<pkg>.<name> matches REGEX")
    parser.add_argument("--json", action="store_true", help="also print one JSON line of figures")
    parser.add_argument(
        "--verbose-builtins",
        action="store_true",
        help="show the 'no registry client' warnings of ec.oci/ec.sigstore calls",
    )
    args = parser.parse_args(argv)

    repo = args.policy_repo.resolve()
    paths = [repo / "example" / "data" / "rule_data.yml", repo / "policy", repo / "checks"]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"not a conforma/policy checkout: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    if not args.verbose_builtins:
        logging.getLogger("konflux").setLevel(logging.ERROR)

    start = time.monotonic()
    report = run_tests(paths, run=args.run)
    wall = time.monotonic() - start

    policy_dir = str(repo / "policy") + "/"
    under_policy = [r for r in report.results if r.case.file.startswith(policy_dir)]
    everything = summarize(report.results)
    policy_only = summarize(under_policy)

    print(f"Conforma policy suite: {repo}")
    print(_line("all", everything))
    print(_line("policy/", policy_only))
    print(f"wall time  {wall:.2f} s (running tests after compile: {report.duration_s:.2f} s)")
    goal_met = policy_only["pass_rate"] >= POLICY_GOAL_RATE and wall <= POLICY_GOAL_SECONDS
    print(
        f"goal (policy/ >= {POLICY_GOAL_RATE:.0f} % passing in <= {POLICY_GOAL_SECONDS:.0f} s): "
        f"{'met' if goal_met else 'NOT met'}"
    )
    failing = [r for r in report.results if r.status in ("FAIL", "ERROR")]
    if failing:
        print("\nnon-passing tests:")
        for r in failing:
            file = Path(r.case.file)
            rel = file.relative_to(repo) if file.is_relative_to(repo) else file
            print(f"  {r.status:<5} {r.case.full_name}  [{rel}:{r.case.line}]")
            if r.error:
                print(f"        {r.error.splitlines()[0][:200]}")
    if args.json:
        print(
            json.dumps(
                {
                    "all": everything,
                    "policy": policy_only,
                    "wall_s": round(wall, 2),
                    "run_s": round(report.duration_s, 2),
                    "goal_met": goal_met,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
