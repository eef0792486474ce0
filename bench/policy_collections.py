"""`validate image` of one release build: the `konflux` collection policy against `minimal`.

Publishes one complete Konflux build to Debian's docker-registry on loopback
(`LocalRegistry`), the same build the end-to-end tests use
(tests/release_e2e/release_e2e_support.py: task bundles trusted with
`konflux policy track-task`, image signed and attested with `konflux sign` /
`konflux attest`, SLSA v1 provenance, CycloneDX SBOM, Clair report blob),
then times `SnapshotValidator.validate` of that one image with
deploy/policies/konflux.yaml and with deploy/policies/minimal.yaml: a fresh
registry client and fresh evaluators per run, so each run does everything
the command does (fetch, verify, load and compile the policy, evaluate).
Also reports the library's size (packages and rules, from
`konflux policy inspect -o names`) and its Rego tests and coverage.

    python3 bench/policy_collections.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from konflux.engine import PolicyEvaluator, Settings, run_tests
from konflux.engine.image.builtins import registry_builtins
from konflux.engine.oci import SyncRegistry
from konflux.testing import LocalRegistry, ReleaseWorld, free_port, report_codes
from konflux.testing import ReleaseBuild as Build

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = ("konflux", "minimal")
LIBRARY = ["rego/lib", "rego/release", "rego/pipeline", "rego/task", "rego/data"]
RULE_SOURCES = ["rego/release", "rego/pipeline", "rego/task"]


def time_validations(world: ReleaseWorld, component, runs: int) -> list[dict]:
    """Runs of the policies interleaved, so drift in the machine's load hits both alike."""
    policies = {name: world.policy(name) for name in COLLECTIONS}
    times: dict[str, list[float]] = {name: [] for name in COLLECTIONS}
    reports = {}
    for _ in range(runs):
        for name, policy in policies.items():
            start = time.perf_counter()
            report = world.validate(component, policy=policy)
            times[name].append(time.perf_counter() - start)
            # A benchmark of a failing build would measure something else: refuse it.
            if not report.success:
                raise SystemExit(
                    f"{name}: the build failed the policy: {sorted(report_codes(report))}"
                )
            reports[name] = report
    return [
        {
            "policy": name,
            "median_s": round(statistics.median(times[name]), 4),
            "min_s": round(min(times[name]), 4),
            "max_s": round(max(times[name]), 4),
            "checks_passed": len(report_codes(reports[name], "successes")),
            "evaluate_ms": evaluation_only(
                world, policies[name], reports[name].targets[0].policy_input, runs
            ),
        }
        for name in COLLECTIONS
    ]


def evaluation_only(world: ReleaseWorld, policy, doc: dict, runs: int) -> float:
    """Median ms of the policy evaluation alone on a compiled evaluator (same input,
    registry-backed builtins on a fresh client per run so the report blob is fetched)."""
    times = []
    for _ in range(runs):
        with SyncRegistry(insecure=[world.host]) as sync:
            settings = replace(Settings(), builtins=registry_builtins(sync))
            evaluator = PolicyEvaluator(policy, settings)
            try:
                evaluator.evaluate(doc)  # compile
                start = time.perf_counter()
                outcome = evaluator.evaluate(doc)
                times.append(time.perf_counter() - start)
            finally:
                evaluator.close()
        if outcome.violations:
            raise SystemExit(f"evaluation-only run failed: {[r.code for r in outcome.violations]}")
    return round(1000 * statistics.median(times), 2)


def library_size() -> dict:
    args = [sys.executable, "-m", "konflux", "policy", "inspect", "-o", "names"]
    for source in RULE_SOURCES:
        args += ["--source", source]
    names = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    codes_ = [line.strip() for line in names.splitlines() if line.strip()]
    packages = {code.rsplit(".", 1)[0] for code in codes_}
    return {"packages": len(packages), "rules": len(codes_)}


def rego_tests() -> dict:
    start = time.perf_counter()
    report = run_tests([str(ROOT / d) for d in LIBRARY], coverage=True)
    elapsed = time.perf_counter() - start
    passed = sum(1 for r in report.results if r.status == "PASS")
    return {
        "tests": len(report.results),
        "passed": passed,
        "coverage_pct": round(report.coverage["coverage"], 2) if report.coverage else None,
        "seconds": round(elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LocalRegistry(Path(tmp) / "reg", free_port()) as reg:
        work = Path(tmp) / "work"
        work.mkdir()
        with SyncRegistry(insecure=[reg.host]) as sync:
            world = ReleaseWorld(sync, reg.host, work).setup()
            component = world.publish(Build()).component
            rows = time_validations(world, component, args.runs)
    size = library_size()
    tests = rego_tests()
    ratio = rows[0]["median_s"] / rows[1]["median_s"]
    print(f"validate image, one image, median of {args.runs} runs (local docker-registry)")
    print(
        f"{'policy':<10} {'median s':>9} {'min s':>8} {'max s':>8} {'checks passed':>14} "
        f"{'evaluate ms':>12}"
    )
    for row in rows:
        print(
            f"{row['policy']:<10} {row['median_s']:9.4f} {row['min_s']:8.4f} "
            f"{row['max_s']:8.4f} {row['checks_passed']:14d} {row['evaluate_ms']:12.2f}"
        )
    print(f"konflux / minimal: {ratio:.2f}")
    sources = ", ".join(RULE_SOURCES)
    print(f"library: {size['packages']} packages, {size['rules']} rules ({sources})")
    print(
        f"rego tests: {tests['passed']}/{tests['tests']} passed, "
        f"coverage {tests['coverage_pct']}% ({tests['seconds']} s)"
    )
    print(
        json.dumps(
            {"runs": args.runs, "validate": rows, "ratio": round(ratio, 2), **size, "rego": tests}
        )
    )


if __name__ == "__main__":
    main()
