"""Rego modules as the engine sees them: package, rule heads and `# METADATA` annotations.

OPA parses and compiles; we only need what selection and reporting use, read
from the source text: the package path, top-level rule names with their line,
and the YAML annotation blocks (package and rule scope), as `ec` reads them
through `rego.metadata`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from konflux.engine.documents import load_yaml
from konflux.engine.errors import RegoError

_PACKAGE = re.compile(r"^package\s+([A-Za-z_][\w.]*(?:\[\"[^\"]+\"\])*)", re.MULTILINE)
_RULE_HEAD = re.compile(r"^([A-Za-z_]\w*)\b")
_KEYWORDS = {"package", "import", "default", "else"}


@dataclass(frozen=True)
class Annotation:
    """One `# METADATA` block: its scope, the line it annotates, and its YAML fields."""

    scope: str
    line: int
    fields: dict[str, Any]

    @property
    def custom(self) -> dict[str, Any]:
        custom = self.fields.get("custom")
        return custom if isinstance(custom, dict) else {}


@dataclass(frozen=True)
class RuleHead:
    name: str
    line: int
    annotation: Annotation | None


@dataclass
class RegoModule:
    path: str
    source: str
    package: str
    package_annotation: Annotation | None = None
    rules: list[RuleHead] = field(default_factory=list)

    def rule_names(self) -> set[str]:
        return {r.name for r in self.rules}


def _metadata_blocks(lines: list[str], path: str) -> dict[int, tuple[int, dict[str, Any]]]:
    """Map the 0-based index of the line after each METADATA block to (block line, fields)."""
    blocks: dict[int, tuple[int, dict[str, Any]]] = {}
    i = 0
    while i < len(lines):
        if lines[i].strip() != "# METADATA":
            i += 1
            continue
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and lines[i].lstrip().startswith("#"):
            text = lines[i].lstrip()[1:]
            body.append(text.removeprefix(" "))
            i += 1
        try:
            fields = load_yaml("\n".join(body)) or {}
        except yaml.YAMLError as exc:
            raise RegoError(_yaml_error(path, lines, start, body, exc)) from None
        if not isinstance(fields, dict):
            raise RegoError(f"{path}:{start + 1}: METADATA block must be a YAML mapping")
        blocks[i] = (start + 1, fields)
    return blocks


def _yaml_error(
    path: str, lines: list[str], start: int, body: list[str], exc: yaml.YAMLError
) -> str:
    """Where in the file a METADATA block's YAML is wrong (the parser counts within the block)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    what = f"{context}: {problem}" if context else problem
    if mark is None or mark.line >= len(body):
        return f"{path}:{start + 1}: invalid METADATA block: {what}"
    line = start + 1 + mark.line  # 0-based index in the file
    column = mark.column + len(lines[line]) - len(body[mark.line])
    return f"{path}:{line + 1}:{column + 1}: invalid METADATA YAML: {what}"


def parse_module(path: str, source: str) -> RegoModule:
    """Read package, rule heads and annotations of one Rego module."""
    m = _PACKAGE.search(source)
    if not m:
        raise RegoError(f"{path}: no package declaration")
    module = RegoModule(path=path, source=source, package=m.group(1))
    lines = source.splitlines()
    blocks = _metadata_blocks(lines, path)
    package_line = source[: m.start()].count("\n")
    for idx, line in enumerate(lines):
        block = blocks.get(idx)
        annotation = None
        if block:
            scope = str(block[1].get("scope") or ("package" if idx == package_line else "rule"))
            annotation = Annotation(scope=scope, line=block[0], fields=block[1])
            if scope in {"package", "subpackages"}:
                module.package_annotation = annotation
                annotation = None
        head = _RULE_HEAD.match(line)
        if not head or head.group(1) in _KEYWORDS:
            continue
        name = head.group(1)
        if line.startswith("default "):
            continue
        module.rules.append(RuleHead(name=name, line=idx + 1, annotation=annotation))
    return module
