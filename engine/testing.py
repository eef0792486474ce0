"""`policy test`: `opa test` semantics over the embedded evaluator.

Every `test_*` rule is a test; it passes when it evaluates to `true`.
Preparing a query recompiles all modules, so instead of one query per test we
generate one aggregate module whose rules each evaluate one test, guarded by
`konflux.selected("<package>\\t<test>")`. A single prepared query then runs a
whole package (select = package) or one test (select = package\\ttest): the
per-test fallback, used only for a package whose query errors and to capture
the `print` output of a failing test, costs no extra compilation.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from konflux.engine.errors import EvaluationError
from konflux.engine.evaluator.opa import OpaEvaluator
from konflux.engine.policy.files import PolicyFiles, load_paths
from konflux.engine.progress import NO_PROGRESS, Progress

AGGREGATE_PACKAGE = "konflux_tests"
AGGREGATE_PATH = "konflux/tests.rego"
GENERATED_PATHS = {AGGREGATE_PATH, "konflux/lenient.rego"}


@dataclass(frozen=True)
class TestCase:
    package: str
    name: str
    file: str
    line: int
    skip: bool = False

    @property
    def key(self) -> str:
        return f"{self.package}\t{self.name}"

    @property
    def full_name(self) -> str:
        return f"data.{self.package}.{self.name}"


@dataclass
class TestResult:
    case: TestCase
    status: str  # PASS, FAIL, ERROR, SKIP
    error: str | None = None
    prints: list[tuple[str, str]] = field(default_factory=list)
    duration_ns: int = 0


@dataclass
class TestReport:
    results: list[TestResult]
    coverage: dict[str, Any] | None = None
    duration_s: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def success(self) -> bool:
        return not any(r.status in {"FAIL", "ERROR"} for r in self.results)


def discover(files: PolicyFiles, run: str | None = None) -> list[TestCase]:
    pattern = re.compile(run) if run else None
    seen: set[tuple[str, str]] = set()
    cases = []
    for module in files.modules:
        for rule in module.rules:
            skip = rule.name.startswith("todo_test_")
            if not (rule.name.startswith("test_") or skip):
                continue
            if (module.package, rule.name) in seen:
                continue  # incremental definitions of one test are one test
            seen.add((module.package, rule.name))
            case = TestCase(module.package, rule.name, module.path, rule.line, skip)
            if pattern and not pattern.search(case.full_name):
                continue
            cases.append(case)
    return cases


def aggregate_module(cases: Iterable[TestCase]) -> str:
    rules = [
        f"results contains r if {{\n\tkonflux.selected({json.dumps(c.key)})\n"
        f"\tr := [{json.dumps(c.key)}, data.{c.package}.{c.name}]\n}}\n"
        for c in cases
        if not c.skip
    ]
    return f"package {AGGREGATE_PACKAGE}\n\nimport rego.v1\n\n" + "\n".join(rules)


class PolicyTester:
    """Runs the tests of a set of policy files on one evaluator."""

    def __init__(self, files: PolicyFiles, *, run: str | None = None):
        self.files = files
        self.cases = discover(files, run)
        self.evaluator = OpaEvaluator()
        for module in files.modules:
            self.evaluator.add_module(module.path, module.source)
        for doc in files.data:
            self.evaluator.add_data(doc.value, doc.mount)
        self.evaluator.add_module(AGGREGATE_PATH, aggregate_module(self.cases))

    def run(self, *, coverage: bool = False, progress: Progress = NO_PROGRESS) -> TestReport:
        start = time.monotonic()
        by_package: dict[str, list[TestCase]] = {}
        for case in self.cases:
            by_package.setdefault(case.package, []).append(case)
        results: list[TestResult] = []
        cover = CoverageMerger() if coverage else None
        progress.start("testing", len(self.cases))
        for package, cases in by_package.items():
            progress.note(package)
            done = self._run_package(package, cases, cover)
            results.extend(done)
            progress.advance(len(cases), failed=sum(r.status in {"FAIL", "ERROR"} for r in done))
        report = TestReport(results, duration_s=time.monotonic() - start)
        if cover:
            report.coverage = cover.report(GENERATED_PATHS)
        return report

    def _evaluate(self, select: set[str], cover: CoverageMerger | None) -> dict[str, Any]:
        # An erroring run reports no prints (never those of the previous run).
        self._last_prints: list[tuple[str, str]] = []
        result = self.evaluator.evaluate(
            f"{AGGREGATE_PACKAGE}.results", select=select, coverage=cover is not None
        )
        if cover and result.coverage:
            cover.add(result.coverage)
        self._last_prints = result.prints
        return {key: value for key, value in (result.value or [])}

    def _run_package(
        self, package: str, cases: list[TestCase], cover: CoverageMerger | None
    ) -> list[TestResult]:
        runnable = [c for c in cases if not c.skip]
        skipped = [TestResult(c, "SKIP") for c in cases if c.skip]
        t0 = time.monotonic_ns()
        try:
            values = self._evaluate({c.key for c in runnable}, cover)
        except EvaluationError:
            return skipped + [self._run_one(c, cover) for c in runnable]
        share = (time.monotonic_ns() - t0) // max(len(runnable), 1)
        results = []
        for case in runnable:
            if values.get(case.key) is True:
                results.append(TestResult(case, "PASS", duration_ns=share))
            else:
                results.append(self._run_one(case, None))  # again alone, for its prints
        return skipped + results

    def _run_one(self, case: TestCase, cover: CoverageMerger | None) -> TestResult:
        t0 = time.monotonic_ns()
        try:
            values = self._evaluate({case.key}, cover)
        except EvaluationError as exc:
            return TestResult(
                case,
                "ERROR",
                error=str(exc),
                prints=self._last_prints,
                duration_ns=time.monotonic_ns() - t0,
            )
        status = "PASS" if values.get(case.key) is True else "FAIL"
        return TestResult(
            case, status, prints=self._last_prints, duration_ns=time.monotonic_ns() - t0
        )

    def close(self) -> None:
        self.evaluator.close()


class CoverageMerger:
    """Union of covered lines over many evaluations, per file."""

    def __init__(self) -> None:
        self.covered: dict[str, set[int]] = {}
        self.seen: dict[str, set[int]] = {}

    @staticmethod
    def _rows(ranges: list[dict[str, Any]] | None) -> set[int]:
        rows: set[int] = set()
        for r in ranges or []:
            rows.update(range(r["start"]["row"], r["end"]["row"] + 1))
        return rows

    def add(self, report: dict[str, Any]) -> None:
        for path, entry in (report.get("files") or {}).items():
            covered = self._rows(entry.get("covered"))
            self.covered.setdefault(path, set()).update(covered)
            self.seen.setdefault(path, set()).update(covered | self._rows(entry.get("not_covered")))

    def report(self, exclude: set[str]) -> dict[str, Any]:
        files = {}
        total_cov = total = 0
        for path in sorted(self.seen):
            if path in exclude:
                continue
            covered = self.covered.get(path, set())
            lines = self.seen[path]
            files[path] = {
                "covered_lines": len(covered),
                "not_covered_lines": len(lines - covered),
                "coverage": round(100.0 * len(covered) / len(lines), 2) if lines else 100.0,
                "not_covered": sorted(lines - covered),
            }
            total_cov += len(covered)
            total += len(lines)
        return {
            "files": files,
            "covered_lines": total_cov,
            "not_covered_lines": total - total_cov,
            "coverage": round(100.0 * total_cov / total, 2) if total else 100.0,
        }


def run_tests(
    paths: list[str | Path],
    data: list[str | Path] | None = None,
    *,
    run: str | None = None,
    coverage: bool = False,
    progress: Progress = NO_PROGRESS,
) -> TestReport:
    progress.start("loading")
    files = load_paths(paths)
    if data:
        files.extend(load_paths(data, data_at_root=True))
    tester = PolicyTester(files, run=run)
    try:
        return tester.run(coverage=coverage, progress=progress)
    finally:
        tester.close()
