"""`inspect policy`: the annotations of a policy source as `ec` (OPA's `inspect`) reports them.

For every rule of every non-test module, `ec` takes OPA's annotation chain (the
rule's own annotation, then its package's) and keeps the entries that are
`deny`/`warn`/`violation` rules or carry an annotation. Each entry is an OPA
`AnnotationsRef`: `{annotations, location: {file, row, col}, path: [terms]}`.
The same walk refuses a policy directory without Rego files and a result rule
whose value is not a string, an object, a variable or a call, with `ec`'s
messages; evaluation uses those checks too (`check_policy_dir`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from konflux.engine.errors import PolicyLoadError
from konflux.engine.policy.modules import Annotation, RegoModule, RuleHead, parse_module
from konflux.engine.rules import strip_xrefs

NO_REGO_FILES = "no rego files found in policy subdirectory"
DOC_URL = "https://conforma.dev/docs/policy/packages/release_{0}.html#{0}__{1}"
_WARNING = re.compile(r"^warn(_[a-zA-Z0-9]+)*$")
_FAILURE = re.compile(r"^(deny|violation)(_[a-zA-Z0-9]+)*$")
_PACKAGE_PART = re.compile(r'\["([^"]+)"\]|([A-Za-z_]\w*)')


class UnsupportedRuleError(PolicyLoadError):
    """A deny/warn rule's value can never be a result (`deny if ...`, a number, a list...)."""


@dataclass(frozen=True)
class AnnotationRef:
    """One entry of the chain: the annotated node (rule or package) and its annotation."""

    module: RegoModule
    file: str  # relative to the inspected directory, as `ec` prints it
    rule: RuleHead | None  # None for a package annotation
    annotation: Annotation | None

    @property
    def package_parts(self) -> list[str]:
        return [a or b for a, b in _PACKAGE_PART.findall(self.module.package)]

    @property
    def kind(self) -> str:
        name = self.rule.name if self.rule else ""
        return "deny" if _FAILURE.match(name) else "warn" if _WARNING.match(name) else "other"

    @property
    def short_name(self) -> str:
        custom = self.annotation.custom if self.annotation else {}
        value = custom.get("short_name")
        return value if isinstance(value, str) else ""

    @property
    def package(self) -> str:
        return ".".join(self.package_parts)

    @property
    def code(self) -> str:
        return f"{self.package}.{self.short_name}"

    def info(self) -> dict[str, Any]:
        """ec's `rule.Info` fields the text templates use."""
        fields = self.annotation.fields if self.annotation else {}
        custom = self.annotation.custom if self.annotation else {}
        collections = custom.get("collections")
        parts = self.package_parts
        url = DOC_URL.format(parts[-1], self.short_name) if parts and self.short_name else ""
        return {
            "code": self.code,
            "package": self.package,
            "short_name": self.short_name,
            "kind": self.kind,
            "title": str(fields.get("title") or ""),
            "description": strip_xrefs(str(fields.get("description") or "")),
            "collections": [str(c) for c in collections] if isinstance(collections, list) else [],
            "documentation_url": url,
        }

    def to_json(self) -> dict[str, Any]:
        """OPA's JSON of an `AnnotationsRef` with its location (as `ec inspect policy -o json`)."""
        terms = [{"type": "var", "value": "data"}] + [
            {"type": "string", "value": p} for p in self.package_parts
        ]
        if self.rule is not None:
            terms.append({"type": "string", "value": self.rule.name})
            row = self.rule.line
        else:
            row = _package_line(self.module)
        out: dict[str, Any] = {}
        if self.annotation is not None:
            fields = dict(self.annotation.fields)
            fields["scope"] = self.annotation.scope
            out["annotations"] = _sorted({k: v for k, v in fields.items() if v not in (None, "")})
        out["location"] = {"file": self.file, "row": row, "col": 1}
        out["path"] = terms
        return out


def _sorted(value: Any) -> Any:
    """Go marshals maps with sorted keys, nested ones too."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _package_line(module: RegoModule) -> int:
    m = re.search(r"^package\s", module.source, re.MULTILINE)
    return module.source[: m.start()].count("\n") + 1 if m else 1


def _rule_text(module: RegoModule, head: RuleHead) -> str:
    lines = module.source.splitlines()[head.line - 1 :]
    text = lines[0].strip() if lines else head.name
    if text.endswith("{"):
        body = []
        for line in lines[1:]:
            if line.startswith("}"):
                break
            body.append(line.strip())
        text = f"{text} {'; '.join(b for b in body if b)} }}"
    return text


def _head_value(module: RegoModule, head: RuleHead) -> str:
    """What a result rule yields: string, object, var, call, or something unsupported."""
    line = module.source.splitlines()[head.line - 1]
    rest = line[len(head.name) :].lstrip()
    if rest.startswith("contains"):
        term = rest[len("contains") :].strip()
    elif rest.startswith("["):
        term = rest[1:].strip()
    elif rest.startswith((":=", "=")) and not rest.startswith("=="):
        term = rest.lstrip(":=").strip()
    else:
        return "boolean"
    if term.startswith(('"', "`")):
        return "string"
    if term.startswith("{"):
        return "object"
    match = re.match(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", term)
    if not match:
        return "other"
    after = term[match.end() :].lstrip()
    if after.startswith("("):
        return "call"  # `f(x)`, `json.marshal(x)`: a call term
    if "." in match.group(0) or after.startswith(("[", ".")):
        return "other"  # a reference (`input.x`, `data.y[0]`)
    if match.group(0) in {"true", "false", "null"}:
        return "other"
    return "var"


def _unsupported(module: RegoModule, head: RuleHead, file: str) -> UnsupportedRuleError:
    text = _rule_text(module, head)
    if _head_value(module, head) == "boolean":
        # OPA prints `deny if { true }` as `deny = true if { true }`.
        body = text[len(head.name) :].strip()
        body = body.removeprefix("if").strip()
        if not body.startswith("{"):
            body = "{ " + body + " }"
        text = f"{head.name} = true if {body}"
    return UnsupportedRuleError(
        f'the rule "{text}" returns an unsupported value, at {file}:{head.line}'
    )


def annotation_refs(modules: list[tuple[str, RegoModule]]) -> list[AnnotationRef]:
    """The interesting entries of every rule's annotation chain, checked as `ec` checks them."""
    refs: list[AnnotationRef] = []
    for file, module in modules:
        for head in module.rules:
            chain = [AnnotationRef(module, file, head, head.annotation)]
            if module.package_annotation is not None:
                chain.append(AnnotationRef(module, file, None, module.package_annotation))
            for ref in chain:
                if ref.rule is not None and ref.kind == "other" and ref.annotation is None:
                    continue
                if ref.rule is not None and _head_value(module, ref.rule) not in {
                    "string",
                    "object",
                    "var",
                    "call",
                }:
                    raise _unsupported(module, ref.rule, file)
                refs.append(ref)
    return refs


def rego_modules(directory: Path) -> list[tuple[str, RegoModule]]:
    """Every non-test `.rego` below `directory` (or the file itself), with its short path."""
    root = Path(directory)
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    out = []
    for path in paths:
        if path.suffix.lower() != ".rego" or path.name.lower().endswith("_test.rego"):
            continue
        short = path.name if root.is_file() else str(path.relative_to(root))
        out.append((short, parse_module(short, path.read_text(encoding="utf-8"))))
    if not out:
        raise PolicyLoadError(NO_REGO_FILES)
    return out


def check_policy_modules(modules: list[RegoModule], root: Path, url: str) -> None:
    """`ec`'s checks of a fetched policy source: Rego files exist, results are messages."""
    rego = [m for m in modules if not m.path.lower().endswith("_test.rego")]
    if not rego:
        raise PolicyLoadError(no_rego_files_message(url))
    base = Path(root)

    def short(path: str) -> str:
        p = Path(path)
        return (
            p.name
            if base.is_file()
            else str(p.relative_to(base))
            if p.is_relative_to(base)
            else path
        )

    annotation_refs([(short(m.path), m) for m in rego])


def inspect_dir(directory: Path) -> list[AnnotationRef]:
    return annotation_refs(rego_modules(directory))


def no_rego_files_message(url: str) -> str:
    """`ec`'s hint when a github/gitlab https URL (no `git::`) had no Rego files."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if (
        parts.hostname in {"github.com", "gitlab.com"}
        and parts.scheme in {"http", "https"}
        and "." not in parts.path
    ):
        query = f"?{parts.query}" if parts.query else ""
        return (
            f"{NO_REGO_FILES}.\nYou've specified a {parts.hostname} URL with an "
            f"{parts.scheme}:// scheme.\nDid you mean: {parts.netloc}{parts.path}{query} instead?"
        )
    return NO_REGO_FILES


def text_entry(ref: AnnotationRef, template: str, *, local_root: str | None = None) -> str:
    """One rule in `ec`'s text, names or short-names template; "" for package annotations.

    For a local source (`local_root`, the directory inspected) the second line of `text`
    is the rule's file and line: conforma.dev has no page for a rule being written."""
    if ref.annotation is None:
        path = ".".join([*ref.package_parts, ref.rule.name if ref.rule else ""])
        return f"{path}\n(No annotations found)\n--\n"
    if ref.annotation.scope != "rule":
        return ""
    info = ref.info()
    if template == "names":
        return f"{info['package']}.{info['short_name']}\n"
    if template == "short-names":
        return f"{info['code']}\n"
    url = f"{info['documentation_url']}\n" if info["documentation_url"] else ""
    if local_root is not None and ref.rule is not None:
        url = f"{Path(local_root) / ref.file}:{ref.rule.line}\n"
    collections = f"\n[{' '.join(info['collections'])}]" if info["collections"] else ""
    return (
        f"{info['package']}.{info['short_name']} ({info['kind']})\n{url}{info['title']}\n"
        f"{info['description']}{collections}\n--\n"
    )
