"""Output formats: pluggable writers over the one report model.

Adding a format: register its writer in `WRITERS` and name it in `konflux.engine.choices`.
Targets (`FORMAT[=PATH][?show-successes=BOOL]`) are parsed in `target`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from konflux.engine.choices import IMAGE_FORMATS, INPUT_FORMATS
from konflux.engine.output.documents import (
    appstudio_document,
    error_document,
    report_document,
    sorted_targets,
    summary_document,
)
from konflux.engine.output.junit import junit_report
from konflux.engine.output.target import OutputTarget
from konflux.engine.output.text import text_report
from konflux.engine.report import Report

__all__ = [
    "IMAGE_FORMATS",
    "INPUT_FORMATS",
    "WRITERS",
    "OutputTarget",
    "error_document",
    "render",
]


def _json(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


class _GoYamlDumper(yaml.SafeDumper):
    """YAML as Go's yaml.v2 writes it: a string that would read back as another type
    (a time, number, boolean, null) is double-quoted; other quoting is the emitter's."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if dumper.resolve(yaml.ScalarNode, value, (True, False)) != "tag:yaml.org,2002:str":
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_GoYamlDumper.add_representer(str, _represent_str)


def _yaml(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_GoYamlDumper, sort_keys=True, allow_unicode=True)


def _lines(docs: list[Any]) -> str:
    return "\n".join(_json(d) for d in docs)


def _summary_markdown(r: Report) -> str:
    failures, warnings, successes = r.totals()

    def icon(ok: bool) -> str:
        return ":white_check_mark:" if ok else ":x:"

    rows = [
        ("Time", r.created.strftime("%Y-%m-%d %H:%M:%S (UTC)"), ""),
        ("Successes", successes, icon(successes >= 1 and failures == 0)),
        ("Failures", failures, icon(failures == 0)),
        ("Warnings", warnings, icon(warnings == 0)),
        ("Result", "", icon(r.success)),
    ]
    head = "| Field     | Value |Status|\n|-----------|-------|-------|\n"
    return head + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in rows)


def _vsa(r: Report) -> str:
    # Imported on use: the VSA names its predicate type from the sigstore layer, which
    # brings the registry client; the other formats need neither.
    from konflux.engine.output.vsa import vsa_statement

    return _json(vsa_statement(r))


Writer = Callable[[Report, bool], str]

WRITERS: dict[str, Writer] = {
    "json": lambda r, c: _json(report_document(r)),
    "yaml": lambda r, c: _yaml(json.loads(_json(report_document(r)))),
    "text": lambda r, c: text_report(r, color=c, docs_link=r.show_policy_docs_link),
    "summary": lambda r, c: _json(summary_document(r)),
    "appstudio": lambda r, c: _json(appstudio_document(r)),
    "junit": lambda r, c: junit_report(r),
    "summary-markdown": lambda r, c: _summary_markdown(r),
    "policy-input": lambda r, c: _lines(
        [t.policy_input for t in sorted_targets(r) if t.policy_input is not None]
    ),
    "attestation": lambda r, c: _lines([s for t in sorted_targets(r) for s in t.statements]),
    "vsa": lambda r, c: _vsa(r),
}
WRITERS["hacbs"] = WRITERS["appstudio"]

# The choices are declared with the CLI's (`konflux.engine.choices`); each has a writer here.
assert set(IMAGE_FORMATS) == set(WRITERS) and set(INPUT_FORMATS) <= set(WRITERS)


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    if fmt not in WRITERS:
        raise ValueError(f"{fmt!r} is not a valid report format (choose from {', '.join(WRITERS)})")
    text = WRITERS[fmt](report, color)
    return text if text.endswith("\n") else text + "\n"
