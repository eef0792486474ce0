"""The human text report, laid out as `ec`'s Go templates lay it out."""

from __future__ import annotations

import textwrap
from typing import Any

from konflux.engine.output.documents import result_word, sorted_targets
from konflux.engine.report import Report, Result, TargetReport

WRAP = 128  # `ec` wraps at 130 columns less the 2-space indent
COLORS = {"Violation": 31, "Warning": 33, "Success": 32}
INDICATORS = {"Violation": "\u2715", "Warning": "\u203a", "Success": "\u2713"}
DOCS_LINK = (
    "For more information about policy issues, see the policy documentation: "
    "https://conforma.dev/docs/policy/\n"
)


def _wrap(text: str) -> str:
    lines = []
    for para in text.split("\n"):
        lines += textwrap.wrap(para, WRAP, break_long_words=False, break_on_hyphens=False) or [""]
    return "  " + "\n  ".join(lines)


def _paint(kind: str, text: str, color: bool) -> str:
    return f"\x1b[{COLORS[kind]}m{text}\x1b[0m" if color else text


def _block(kind: str, r: Result, where: str, meta: dict[str, Any], color: bool) -> str:
    code = meta.get("code", "%!s(<nil>)")
    out = [f"{_paint(kind, INDICATORS[kind], color)} {_paint(kind, f'[{kind}] {code}', color)}"]
    if where:
        out.append(f"  {where}")
    if kind != "Success" and r.message:
        out.append(_wrap(f"Reason: {r.message}"))
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


def _targets_header(report: Report, targets: list[TargetReport]) -> list[str]:
    out = []
    image = report.kind == "image"
    if len(targets) > 1:
        out.append("\nComponents:\n" if image else "\nInput Files:\n")
        for t in targets:
            o = t.outcome
            counts = (
                f"  Violations: {len(o.violations)}, Warnings: {len(o.warnings)}, "
                f"Successes: {len(o.successes)}\n\n"
            )
            if image:
                out.append(f"- Name: {t.name}\n  ImageRef: {t.image}\n{counts}")
            else:
                out.append(f"- FilePath: {t.name}\n{counts}")
    else:
        for t in targets:
            if image:
                out.append(f"Component: {t.name}\nImageRef: {t.image}\n\n")
            else:
                out.append(f"Input File: {t.name}\n\n")
    return out


def text_report(report: Report, *, color: bool = False, docs_link: bool = False) -> str:
    failures, warnings, successes = report.totals()
    image = report.kind == "image"
    if not report.show_warnings and not image:
        warnings = 0
    targets = sorted_targets(report)
    word = (
        result_word(failures, warnings, successes, failed=not report.success)
        if image
        else result_word(failures, warnings, 1)
    )
    out = [
        f"Success: {str(report.success).lower()}\n",
        f"Result: {word}\n",
        f"Violations: {failures}, Warnings: {warnings}, Successes: {successes}\n",
    ]
    out += _targets_header(report, targets)
    sections = [
        ("Violation", "violations", failures > 0),
        ("Warning", "warnings", warnings > 0 and report.show_warnings),
        ("Success", "successes", successes > 0 and report.show_successes),
    ]
    if any(show for _, _, show in sections):
        out.append("Results:\n")
        for kind, attr, show in sections:
            if not show:
                continue
            for t in targets:
                where = f"ImageRef: {t.image}" if image else f"FilePath: {t.name}"
                for r in getattr(t.outcome, attr):
                    meta = r.to_dict(info=report.info).get("metadata", {})
                    out.append(_block(kind, r, where, meta, color))
    if docs_link and (failures or (warnings and report.show_warnings)):
        out.append(DOCS_LINK)
    return "".join(out)
