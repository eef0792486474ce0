"""Output formats: pluggable writers over the one report model.

Adding a format touches only this module: register a writer in `WRITERS`.
A target is `FORMAT[=PATH][?show-successes=BOOL&show-warnings=BOOL]`, as `ec`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import yaml

from konflux.engine.output.documents import (
    appstudio_document,
    error_document,
    report_document,
    sorted_targets,
    summary_document,
)
from konflux.engine.output.junit import junit_report
from konflux.engine.output.text import text_report
from konflux.engine.output.vsa import vsa_statement
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


Writer = Callable[[Report, bool], str]

WRITERS: dict[str, Writer] = {
    "json": lambda r, c: _json(report_document(r)),
    "yaml": lambda r, c: _yaml(json.loads(_json(report_document(r)))),
    "text": lambda r, c: text_report(r, color=c),
    "summary": lambda r, c: _json(summary_document(r)),
    "appstudio": lambda r, c: _json(appstudio_document(r)),
    "junit": lambda r, c: junit_report(r),
    "summary-markdown": lambda r, c: _summary_markdown(r),
    "policy-input": lambda r, c: _lines(
        [t.policy_input for t in sorted_targets(r) if t.policy_input is not None]
    ),
    "attestation": lambda r, c: _lines([s for t in sorted_targets(r) for s in t.statements]),
    "vsa": lambda r, c: _json(vsa_statement(r)),
}
WRITERS["hacbs"] = WRITERS["appstudio"]

INPUT_FORMATS = ("json", "yaml", "text", "summary", "appstudio", "hacbs")
IMAGE_FORMATS = tuple(WRITERS)


@dataclass(frozen=True)
class OutputTarget:
    format: str
    path: str | None = None
    show_successes: bool | None = None
    show_warnings: bool | None = None

    @classmethod
    def parse(cls, spec: str, formats: tuple[str, ...], default: str) -> OutputTarget:
        head, _, query = spec.partition("?")
        fmt, _, path = head.partition("=")
        fmt = fmt or default
        if fmt not in formats:
            raise ValueError(
                f"{fmt!r} is not a valid report format (choose from {', '.join(formats)})"
            )
        opts = {k: v[-1].lower() for k, v in parse_qs(query).items()}
        unknown = set(opts) - {"show-successes", "show-warnings"}
        if unknown:
            raise ValueError(f"unknown output option(s) {', '.join(sorted(unknown))} in {spec!r}")

        def flag(name: str) -> bool | None:
            if name not in opts:
                return None
            if opts[name] not in ("true", "false"):
                raise ValueError(f"{name} must be true or false in {spec!r}")
            return opts[name] == "true"

        return cls(fmt, path or None, flag("show-successes"), flag("show-warnings"))

    def apply(self, report: Report) -> Report:
        changes: dict[str, bool] = {}
        if self.show_successes is not None:
            changes["show_successes"] = self.show_successes
        if self.show_warnings is not None:
            changes["show_warnings"] = self.show_warnings
        return dataclasses.replace(report, **changes) if changes else report


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    if fmt not in WRITERS:
        raise ValueError(f"{fmt!r} is not a valid report format (choose from {', '.join(WRITERS)})")
    text = WRITERS[fmt](report, color)
    return text if text.endswith("\n") else text + "\n"
