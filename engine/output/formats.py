"""Output formats: pluggable writers over the one report model.

Adding a format touches only this module.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from datetime import datetime
from typing import Any

import yaml
from konflux.engine.report import Report, Result

WRAP = 128  # `ec` wraps at 130 columns less the 2-space indent
COLORS = {"Violation": 31, "Warning": 33, "Success": 32}
INDICATORS = {"Violation": "✕", "Warning": "\u203a", "Success": "✓"}  # as ec prints them


def _rfc3339(t: datetime) -> str:
    return (
        t.strftime("%Y-%m-%dT%H:%M:%S")
        + (f".{t.microsecond:06d}".rstrip("0") if t.microsecond else "")
        + "Z"
    )


def report_document(report: Report) -> dict[str, Any]:
    """The `validate input` JSON document, in `ec`'s key order."""
    targets = sorted(report.targets, key=lambda t: t.name, reverse=True)
    return {
        "success": report.success,
        "filepaths": [
            {
                "filepath": t.name,
                "violations": [r.to_dict(info=report.info) for r in t.outcome.violations],
                "warnings": [r.to_dict(info=report.info) for r in t.outcome.warnings]
                if report.show_warnings
                else None,
                "successes": [r.to_dict(info=report.info) for r in t.outcome.successes]
                if report.show_successes
                else None,
                "success": t.success,
                "success-count": len(t.outcome.successes),
            }
            for t in targets
        ],
        "policy": report.policy,
        "ec-version": report.version,
        "effective-time": _rfc3339(report.effective_time),
    }


def _condensed(results: list[Result]) -> dict[str, list[str]]:
    first: dict[str, list[str]] = {}
    count: dict[str, int] = {}
    for r in results:
        if not r.code:
            continue
        if r.code not in first:
            first[r.code] = [r.message]
        count[r.code] = count.get(r.code, 0) + 1
    for code, n in count.items():
        if n > 1:
            first[code].append(f'There are {n - 1} more "{code}" messages')
    return first


def summary_document(report: Report) -> dict[str, Any]:
    return {
        "filepaths": [
            {
                "name": t.name,
                "success": t.success,
                "violations": _condensed(t.outcome.violations),
                "warnings": _condensed(t.outcome.warnings),
                "successes": _condensed(t.outcome.successes),
                "total_violations": len(t.outcome.violations),
                "total_warnings": len(t.outcome.warnings),
                "total_successes": len(t.outcome.successes),
            }
            for t in sorted(report.targets, key=lambda t: t.name, reverse=True)
        ],
        "success": report.success,
        "key": "",
    }


def result_word(failures: int, warnings: int, successes: int) -> str:
    if failures:
        return "FAILURE"
    if warnings:
        return "WARNING"
    return "SUCCESS" if successes else "SKIPPED"


def appstudio_document(report: Report) -> dict[str, Any]:
    """The TEST_OUTPUT Tekton result: counts, a result word and a note."""
    failures, warnings, successes = report.totals()
    result = result_word(failures, warnings, successes)
    notes = {
        "FAILURE": "Failures detected",
        "WARNING": "Warnings detected",
        "SKIPPED": "All checks were skipped",
        "SUCCESS": "All checks passed successfully",
    }
    return {
        "timestamp": str(int(report.created.timestamp())),
        "namespace": "",
        "successes": successes,
        "failures": failures,
        "warnings": warnings,
        "result": result,
        "note": notes[result],
    }


def error_document(prefix: str, error: Exception, now: datetime) -> dict[str, Any]:
    return {
        "timestamp": str(int(now.timestamp())),
        "namespace": "",
        "successes": 0,
        "failures": 0,
        "warnings": 0,
        "result": "ERROR",
        "note": f"Error: {prefix}: {error}",
    }


def _wrap(text: str) -> str:
    lines = []
    for para in text.split("\n"):
        lines += textwrap.wrap(para, WRAP, break_long_words=False, break_on_hyphens=False) or [""]
    return "  " + "\n  ".join(lines)


def _paint(kind: str, text: str, color: bool) -> str:
    return f"\x1b[{COLORS[kind]}m{text}\x1b[0m" if color else text


def _result_block(kind: str, result: Result, name: str, meta: dict[str, Any], color: bool) -> str:
    code = meta.get("code", "%!s(<nil>)")
    out = [f"{_paint(kind, INDICATORS[kind], color)} {_paint(kind, f'[{kind}] {code}', color)}"]
    if name:
        out.append(f"  FilePath: {name}")
    if kind != "Success" and result.message:
        out.append(_wrap(f"Reason: {result.message}"))
    term = meta.get("term")
    if isinstance(term, str) and term:
        out.append(_wrap(f"Term: {term}"))
    elif isinstance(term, list) and term:
        out.append(_wrap(f"Terms: {', '.join(map(str, term))}"))
    if meta.get("title"):
        out.append(_wrap(f"Title: {meta['title']}"))
    if meta.get("description"):
        out.append(_wrap(f"Description: {meta['description']}"))
    if kind != "Success" and meta.get("solution"):
        out.append(_wrap(f"Solution: {meta['solution']}"))
    return "\n".join(out) + "\n\n"


def text_report(report: Report, *, color: bool = False) -> str:
    failures, warnings, successes = report.totals()
    if not report.show_warnings:
        warnings = 0
    targets = sorted(report.targets, key=lambda t: t.name, reverse=True)
    out = [
        f"Success: {str(report.success).lower()}\n",
        f"Result: {result_word(failures, warnings, 1)}\n",
        f"Violations: {failures}, Warnings: {warnings}, Successes: {successes}\n",
    ]
    if len(targets) > 1:
        out.append("\nInput Files:\n")
        for t in targets:
            o = t.outcome
            out.append(
                f"- FilePath: {t.name}\n  Violations: {len(o.violations)}, "
                f"Warnings: {len(o.warnings)}, Successes: {len(o.successes)}\n\n"
            )
    else:
        out += [f"Input File: {t.name}\n\n" for t in targets]
    sections = [("Violation", "violations", failures > 0)]
    sections.append(("Warning", "warnings", warnings > 0 and report.show_warnings))
    sections.append(("Success", "successes", successes > 0 and report.show_successes))
    if any(show for _, _, show in sections):
        out.append("Results:\n")
        for kind, attr, show in sections:
            if not show:
                continue
            for t in targets:
                for r in getattr(t.outcome, attr):
                    meta = r.to_dict(info=report.info).get("metadata", {})
                    out.append(_result_block(kind, r, t.name, meta, color))
    return "".join(out)


def _json(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


Writer = Callable[[Report, bool], str]

WRITERS: dict[str, Writer] = {
    "json": lambda r, c: _json(report_document(r)),
    "yaml": lambda r, c: yaml.safe_dump(
        json.loads(_json(report_document(r))), sort_keys=True, allow_unicode=True
    ),
    "text": lambda r, c: text_report(r, color=c),
    "summary": lambda r, c: _json(summary_document(r)),
    "appstudio": lambda r, c: _json(appstudio_document(r)),
}
WRITERS["hacbs"] = WRITERS["appstudio"]


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    if fmt not in WRITERS:
        raise ValueError(f"{fmt!r} is not a valid report format (choose from {', '.join(WRITERS)})")
    text = WRITERS[fmt](report, color)
    return text if text.endswith("\n") else text + "\n"
