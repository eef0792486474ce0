"""Rules as `ec` knows them: annotated `deny`/`warn` rules with their code and metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from konflux.engine.errors import RegoError
from konflux.engine.policy.modules import RegoModule

RESULT_RULES = ("deny", "warn")

# Conforma's annotations use AsciiDoc cross references; reports show plain text
# (descriptions keep the label) and links (solutions point at the rendered docs).
_XREF = re.compile(r"xref:(?:([^:]+):ROOT:(.+?)\.adoc(#[^\[]+)?|[\w.$#/]+)\[([\w\s/.]+)\]")
_XREF_FULL = re.compile(r"xref:([^:\[]+):ROOT:([^\[]+?)\.adoc(#[^\[]+)?\[[^\]]*\]")


def strip_xrefs(text: str) -> str:
    return _XREF.sub(lambda m: m.group(4), text)


def link_xrefs(text: str) -> str:
    linked = _XREF_FULL.sub(
        lambda m: f"https://conforma.dev/docs/{m.group(1)}/{m.group(2)}.html{m.group(3) or ''}",
        text,
    )
    return strip_xrefs(linked)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


@dataclass(frozen=True)
class Rule:
    code: str
    package: str
    short_name: str
    kind: str  # deny or warn
    title: str = ""
    description: str = ""
    solution: str = ""
    failure_msg: str = ""
    collections: tuple[str, ...] = ()
    effective_on: str = ""
    depends_on: tuple[str, ...] = ()
    severity: str = ""
    pipeline_intention: tuple[str, ...] = ()
    file: str = ""
    line: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "package": self.package,
            "short_name": self.short_name,
            "kind": self.kind,
            "title": self.title,
            "description": self.description,
            "solution": self.solution,
            "failure_msg": self.failure_msg,
            "collections": list(self.collections),
            "effective_on": self.effective_on,
            "depends_on": list(self.depends_on),
            "pipeline_intention": list(self.pipeline_intention),
            "file": self.file,
            "line": self.line,
        }
        return {k: v for k, v in out.items() if v not in ("", [], 0)}


def rules_of(modules: list[RegoModule]) -> dict[str, Rule]:
    """Every annotated deny/warn rule by code; two rules sharing a code is an error."""
    rules: dict[str, Rule] = {}
    for module in modules:
        for head in module.rules:
            a = head.annotation
            if head.name not in RESULT_RULES or a is None:
                continue
            custom = a.custom
            short_name = custom.get("short_name")
            if not short_name:
                continue
            code = f"{module.package}.{short_name}"
            rule = Rule(
                code=code,
                package=module.package,
                short_name=str(short_name),
                kind=head.name,
                title=str(a.fields.get("title") or ""),
                description=strip_xrefs(str(a.fields.get("description") or "")),
                solution=link_xrefs(str(custom.get("solution") or "")),
                failure_msg=str(custom.get("failure_msg") or ""),
                collections=tuple(_strings(custom.get("collections"))),
                effective_on=str(custom.get("effective_on") or ""),
                depends_on=tuple(_strings(custom.get("depends_on"))),
                severity=str(custom.get("severity") or ""),
                pipeline_intention=tuple(_strings(custom.get("pipeline_intention"))),
                file=module.path,
                line=head.line,
            )
            if code in rules and (rules[code].file, rules[code].line) != (
                rule.file,
                rule.line,
            ):
                other = rules[code]
                raise RegoError(
                    f"duplicate rule code {code!r}: "
                    f"{other.file}:{other.line} and {rule.file}:{rule.line}"
                )
            rules[code] = rule
    return rules


def result_packages(modules: list[RegoModule]) -> list[str]:
    """Packages that define deny or warn rules, in a stable order."""
    return sorted({m.package for m in modules if m.rule_names() & set(RESULT_RULES)})
