"""Rendering `policy inspect`: `ec inspect policy`'s text, names and JSON, plus markdown."""

from __future__ import annotations

import json

from konflux.engine.rules import Rule

# Where Conforma publishes its own release policies (sources and bundles). Only their
# rules have a page on conforma.dev; any other rule is located by its file and line.
CONFORMA_SOURCES = (
    "github.com/conforma/policy",
    "github.com/enterprise-contract/ec-policies",
    "quay.io/conforma/",
    "quay.io/enterprise-contract/",
)


def is_conforma_source(url: str) -> bool:
    return any(s in url for s in CONFORMA_SOURCES)


def _text(rule: Rule, source: str) -> str:
    if is_conforma_source(source):
        pkg = rule.package.split(".")[-1]
        where = (
            f"https://conforma.dev/docs/policy/packages/release_{pkg}.html#{pkg}__{rule.short_name}"
        )
    else:
        where = f"{rule.file}:{rule.line}"
    collections = f"\n[{' '.join(rule.collections)}]" if rule.collections else ""
    head = f"{rule.code} ({rule.kind})\n{where}\n{rule.title}\n"
    return f"{head}{rule.description}{collections}\n--\n"


def _markdown(rule: Rule, source: str) -> str:
    lines = [
        f"### `{rule.code}` ({rule.kind})",
        "",
        f"**{rule.title}**",
        "",
        rule.description,
        "",
    ]
    if rule.failure_msg:
        lines += [f"- Failure message: `{rule.failure_msg}`"]
    if rule.solution:
        lines += [f"- Solution: {rule.solution}"]
    if rule.collections:
        lines += [f"- Collections: {', '.join(rule.collections)}"]
    if rule.effective_on:
        lines += [f"- Effective on: {rule.effective_on}"]
    return "\n".join(lines) + "\n\n"


def render_inspection(by_source: dict[str, list[Rule]], fmt: str) -> str:
    if fmt == "json":
        return (
            json.dumps({src: [r.as_dict() for r in rules] for src, rules in by_source.items()})
            + "\n"
        )
    if fmt in ("names", "short-names"):
        return "".join(f"{r.code}\n" for rules in by_source.values() for r in rules)
    render = _markdown if fmt == "markdown" else _text
    header = "## Source: {}\n\n" if fmt == "markdown" else "# Source: {}\n\n"
    return "".join(
        header.format(src) + "".join(render(r, src) for r in rules)
        for src, rules in sorted(by_source.items())
    )
