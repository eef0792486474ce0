"""`policy test`: `opa test` semantics over the evaluation core.

Every `test_*` rule is a test; it passes when it evaluates to `true`. Each
test is one entry of a `PreparedPolicy` (its value, keyed
`<package>\\t<test>`), so one prepared query runs a whole package (its
tests selected together) or one test, with no extra compilation: the core
evaluates a package whose query errors test by test, and a failing test is
run again alone to capture its `print` output. The modules pass the same
capability check as for evaluation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from konflux.engine.policy.files import DataDocument, PolicyFiles, load_paths
from konflux.engine.prepared import Answer, Entry, PreparedPolicy
from konflux.engine.progress import NO_PROGRESS, Progress


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
    def ref(self) -> str:
        return f"{self.package}.{self.name}"

    @property
    def full_name(self) -> str:
        return f"data.{self.ref}"


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


class PolicyTester:
    """Runs the tests of a set of policy files on one prepared policy."""

    def __init__(self, files: PolicyFiles, *, run: str | None = None):
        self.files = files
        self.cases = discover(files, run)
        self.prepared = PreparedPolicy(
            files,
            [Entry(c.ref, c.key, whole=True) for c in self.cases if not c.skip],
            name="policy-test",
        )

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
            done = self._run_package(cases, cover)
            results.extend(done)
            progress.advance(len(cases), failed=sum(r.status in {"FAIL", "ERROR"} for r in done))
        report = TestReport(results, duration_s=time.monotonic() - start)
        if cover:
            report.coverage = cover.report(set(self.prepared.generated_paths))
        return report

    def _evaluate(self, keys: set[str], cover: CoverageMerger | None) -> Answer:
        answer = self.prepared.evaluate(None, keys, coverage=cover is not None)
        if cover:
            for report in answer.coverage:
                cover.add(report)
        return answer

    def _run_package(self, cases: list[TestCase], cover: CoverageMerger | None) -> list[TestResult]:
        runnable = [c for c in cases if not c.skip]
        skipped = [TestResult(c, "SKIP") for c in cases if c.skip]
        t0 = time.monotonic_ns()
        # One evaluation for the package; the core runs it test by test if it errors.
        answer = self._evaluate({c.key for c in runnable}, cover)
        share = (time.monotonic_ns() - t0) // max(len(runnable), 1)
        values = {entry.key: value for entry, value in answer.results}
        results = []
        for case in runnable:
            if case.key in answer.errors:
                results.append(
                    TestResult(case, "ERROR", error=str(answer.errors[case.key]), duration_ns=share)
                )
            elif values.get(case.key) is True:
                results.append(TestResult(case, "PASS", duration_ns=share))
            else:
                results.append(self._run_one(case))  # again alone, for its prints
        return skipped + results

    def _run_one(self, case: TestCase) -> TestResult:
        t0 = time.monotonic_ns()
        answer = self._evaluate({case.key}, None)
        took = time.monotonic_ns() - t0
        if case.key in answer.errors:
            return TestResult(case, "ERROR", error=str(answer.errors[case.key]), duration_ns=took)
        value = answer.value(case.ref)
        status = "PASS" if value is True else "FAIL"
        return TestResult(case, status, prints=answer.prints, duration_ns=took)

    def close(self) -> None:
        self.prepared.close()


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
    documents: Iterable[DataDocument] = (),
) -> TestReport:
    """Run the tests of `paths` with `data` files and in-memory `documents` (the caller's
    names, for instance) merged at the root of data."""
    progress.start("loading")
    files = load_paths(paths)
    if data:
        files.extend(load_paths(data, data_at_root=True))
    files.data.extend(documents)
    tester = PolicyTester(files, run=run)
    try:
        return tester.run(coverage=coverage, progress=progress)
    finally:
        tester.close()
