"""Rendering `policy test` results: `opa test`'s text layout, or JSON."""

from __future__ import annotations

import json

from konflux.engine.testing import TestReport


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.1f}ms"


def render_text(report: TestReport, *, verbose: bool = False) -> str:
    out: list[str] = []
    by_file: dict[str, list] = {}
    for r in report.results:
        if verbose or r.status in {"FAIL", "ERROR"}:
            by_file.setdefault(r.case.file, []).append(r)
    for file, results in by_file.items():
        out.append(f"{file}:")
        for r in results:
            line = f"{r.case.full_name}: {r.status} ({_ms(r.duration_ns)})"
            if r.status != "PASS":
                line += f"  [{r.case.file}:{r.case.line}]"
            out.append(line)
            if r.error:
                out.append(f"  {r.error}")
            if r.status in {"FAIL", "ERROR"}:
                out += [f"  {loc}: {msg}" for msg, loc in r.prints]
        out.append("")
    total = len(report.results)
    out.append("-" * 80)
    for status in ("PASS", "FAIL", "ERROR", "SKIP"):
        n = report.count(status)
        if n or status == "PASS":
            out.append(f"{status}: {n}/{total}")
    if report.coverage is not None:
        out.append(f"Coverage: {report.coverage['coverage']}%")
        for path, entry in report.coverage["files"].items():
            out.append(f"  {path}: {entry['coverage']}%")
    return "\n".join(out) + "\n"


def render_json(report: TestReport) -> str:
    doc = {
        "results": [
            {
                "package": f"data.{r.case.package}",
                "name": r.case.name,
                "file": r.case.file,
                "line": r.case.line,
                "status": r.status,
                "error": r.error,
                "output": [f"{loc}: {msg}" for msg, loc in r.prints],
                "duration": r.duration_ns,
            }
            for r in report.results
        ],
        "summary": {s.lower(): report.count(s) for s in ("PASS", "FAIL", "ERROR", "SKIP")},
        "coverage": report.coverage,
    }
    return json.dumps(doc, indent=2) + "\n"
