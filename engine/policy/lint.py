"""Authoring checks: what makes a rule silently not do what its author meant.

`policy inspect` prints these. A deny/warn rule without `custom.short_name`
has no code, so `validate` never reports or selects it by name; a misspelt
key (`short-name`) is ignored by OPA; a hand-written result `code` naming
another package escapes the package's include/exclude; a syntax error stops
every evaluation. The checks read the source text (`modules`) and let OPA
parse each file; nothing is evaluated.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from konflux.engine.policy.modules import RegoModule
from konflux.engine.rules import RESULT_RULES

# The `custom` keys Conforma's rules and our engine read.
CUSTOM_KEYS = (
    "short_name",
    "failure_msg",
    "solution",
    "collections",
    "depends_on",
    "effective_on",
    "pipeline_intention",
    "severity",
)
_LITERAL_CODE = re.compile(r"""["']code["']\s*:\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    message: str
    error: bool = False  # an error stops evaluation; the others are warnings

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def _near(key: str) -> str | None:
    match = difflib.get_close_matches(key.replace("-", "_").lower(), CUSTOM_KEYS, n=1, cutoff=0.8)
    return match[0] if match else None


def rule_findings(module: RegoModule) -> list[Finding]:
    """Warnings about the deny/warn rules of one module."""
    out: list[Finding] = []
    heads = module.rules
    lines = module.source.splitlines()
    for index, head in enumerate(heads):
        if head.name not in RESULT_RULES:
            continue
        where = (module.path, head.line)
        a = head.annotation
        if a is None:
            out.append(
                Finding(
                    *where,
                    f"this {head.name} rule has no METADATA block with custom.short_name, "
                    "so its results have no rule code",
                )
            )
        else:
            for key in a.custom:
                near = _near(str(key))
                if near and near != key:
                    out.append(
                        Finding(*where, f"custom.{key} is not a known key: did you mean {near}?")
                    )
            for key in a.fields:
                if key in CUSTOM_KEYS or _near(str(key)):
                    out.append(
                        Finding(*where, f"{key} belongs under custom: (custom.{_near(str(key))})")
                    )
            if not a.custom.get("short_name"):
                out.append(
                    Finding(
                        *where,
                        f"this {head.name} rule has no custom.short_name, "
                        "so its results have no rule code",
                    )
                )
        end = heads[index + 1].line - 1 if index + 1 < len(heads) else len(lines)
        for offset, text in enumerate(lines[head.line - 1 : end]):
            for code in _LITERAL_CODE.findall(text):
                package = code.rpartition(".")[0]
                if package != module.package:
                    out.append(
                        Finding(
                            module.path,
                            head.line + offset,
                            f"code {code!r} names package {package!r}, but this file is "
                            f"package {module.package!r} (codes are <package>.<short_name>)",
                        )
                    )
    return out


def syntax_errors(modules: list[RegoModule]) -> list[Finding]:
    """OPA's parse errors of each module, located (`file:line: message`)."""
    from konflux.engine.evaluator._bridge import BridgeEngine, OpaError, opa_error_lines

    out: list[Finding] = []
    engine = BridgeEngine()
    try:
        for module in modules:
            try:
                engine.add_policy(module.path, module.source)
            except OpaError as exc:
                for text in opa_error_lines(exc.message):
                    file, line, message = _located(text, module.path)
                    out.append(Finding(file, line, message, error=True))
    finally:
        engine.close()
    return out


def _located(text: str, path: str) -> tuple[str, int, str]:
    m = re.match(r"^(?P<file>[^\s:]+):(?P<line>\d+): (?P<rest>.*)$", text)
    if m:
        return m["file"], int(m["line"]), m["rest"]
    return path, 1, text


def lint(modules: list[RegoModule]) -> list[Finding]:
    """Every finding, errors first, each group in file order."""
    found = syntax_errors(modules) + [f for m in modules for f in rule_findings(m)]
    return sorted(found, key=lambda f: (not f.error, f.file, f.line))
