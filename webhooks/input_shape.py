"""Which parts of an AdmissionReview request a bundle's rules can read.

Turning the input into OPA values costs time in proportion to its size, and
the API server sends much the rules never look at (`kind`, `resource`,
`options`, `metadata.managedFields`...). A scan of the bundle's Rego finds the
top-level `input.<field>`s it names; the rules then see only those. Any use of
`input` that is not such a reference (`input[k]`, `with input as`, `walk(input)`)
keeps every field, and so does naming `managedFields` anywhere: the scan only
ever drops what no rule can reach.

Template strings (`$"...{expr}..."`, `` $`...{expr}...` ``) hold Rego in their
braces: the scan reads those expressions as code, nested strings and templates
included, and drops only the literal text. A template it cannot follow to its
end keeps every field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from konflux.engine.policy.rego_text import scanner

MANAGED_FIELDS = "managedFields"

# Strings, raw strings and comments are skipped; `input` counts only as a whole word that
# is not a field of something else (`x.input`).
_TOKEN = scanner(
    r"(?<![\w.])(?P<input>input)\b(?P<rest>\.[A-Za-z_]\w*|\[\s*\"(?:[^\"\\\n]|\\.)*\"\s*\])?"
)
_FIELD = re.compile(r'\.(?P<ident>[A-Za-z_]\w*)|\[\s*"(?P<key>(?:[^"\\\n]|\\.)*)"\s*\]')


@dataclass(frozen=True)
class InputShape:
    """The request fields the rules see (`None`: all) and whether managedFields stay."""

    fields: frozenset[str] | None = None
    managed_fields: bool = True

    def request_fields(self, request: dict[str, Any], known: Iterable[str]) -> dict[str, Any]:
        """The `known` request fields the rules read; objects without managedFields if unread."""
        read = self.fields
        doc = {
            key: request[key] for key in known if key in request and (read is None or key in read)
        }
        if not self.managed_fields:
            for key in ("object", "oldObject"):
                if key in doc:
                    doc[key] = without_managed_fields(doc[key])
        return doc


def without_managed_fields(obj: Any) -> Any:
    """`obj` with `metadata.managedFields` left out (a shallow copy; `obj` is not changed)."""
    if not isinstance(obj, dict):
        return obj
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or MANAGED_FIELDS not in metadata:
        return obj
    trimmed = {key: value for key, value in metadata.items() if key != MANAGED_FIELDS}
    return {**obj, "metadata": trimmed}


def shape_of(sources: Iterable[str]) -> InputShape:
    """The input shape that serves every module in `sources`."""
    fields: set[str] | None = set()
    managed = False
    for source in sources:
        managed = managed or MANAGED_FIELDS in source
        code = without_templates(source)
        if code is None:
            fields = None  # a template string we cannot follow: keep everything
            continue
        for match in _TOKEN.finditer(code):
            if not match.group("input"):
                continue  # a string or comment
            rest = match.group("rest")
            if rest is None:
                fields = None  # `input` used whole: keep everything
                continue
            field = _FIELD.match(rest)
            assert field is not None  # `rest` matched one of the two forms
            name = field.group("ident") or field.group("key")
            if "\\" in name:
                fields = None  # an escaped key: not worth decoding, keep everything
            elif fields is not None:
                fields.add(name)
    return InputShape(frozenset(fields) if fields is not None else None, managed)


# -- template strings ------------------------------------------------------------------------


def without_templates(source: str) -> str | None:
    """`source` with each template string replaced by its expressions, as plain code.

    `x := $"hi {input.a} and {f($"{input.b}")}"` becomes `x :=  (input.a) (f( (input.b) ))`:
    the expressions are what the rules evaluate; the literal text is not code. Strings,
    raw strings and comments are copied unchanged (the scanner skips them). None when a
    template, or a string inside one, does not end where the grammar says it must.
    """
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c == "#":
            end = source.find("\n", i)
            end = n if end < 0 else end
        elif c == '"' or c == "`":
            end = _string_end(source, i)
            if end is None:
                return None
        elif c == "$" and source[i + 1 : i + 2] in ('"', "`"):
            found = _template(source, i)
            if found is None:
                return None
            end, expressions = found
            parts = [without_templates(e) for e in expressions]
            if any(p is None for p in parts):
                return None
            out.append(" " + " ".join(f"({p})" for p in parts) + " ")
            i = end
            continue
        else:
            end = i + 1
        out.append(source[i:end])
        i = end
    return "".join(out)


def _string_end(source: str, start: int) -> int | None:
    """The index after the string or raw string opening at `start`."""
    if source[start] == "`":
        end = source.find("`", start + 1)
        return None if end < 0 else end + 1
    i = start + 1
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
        elif c == '"':
            return i + 1
        elif c == "\n":
            return None
        else:
            i += 1
    return None


def _template(source: str, start: int) -> tuple[int, list[str]] | None:
    """(index after the template starting at `start`, the code of its expressions).

    In a `$"..."` template a backslash escapes the next character (so a backslash
    before a brace makes it literal); in the raw form (backquotes) only a backslash
    before a brace is an escape. That is how OPA reads them.
    """
    quote = source[start + 1]
    expressions: list[str] = []
    i = start + 2
    while i < len(source):
        c = source[i]
        if c == "\\" and (quote == '"' or source[i + 1 : i + 2] == "{"):
            i += 2
        elif c == quote:
            return i + 1, expressions
        elif c == "\n" and quote == '"':
            return None
        elif c == "{":
            end = _expression_end(source, i + 1)
            if end is None:
                return None
            expressions.append(source[i + 1 : end])
            i = end + 1
        else:
            i += 1
    return None


def _expression_end(source: str, start: int) -> int | None:
    """The index of the `}` closing a template expression that starts at `start`."""
    depth = 0
    i = start
    while i < len(source):
        c = source[i]
        if c == '"' or c == "`":
            end = _string_end(source, i)
        elif c == "$" and source[i + 1 : i + 2] in ('"', "`"):
            found = _template(source, i)
            end = found[0] if found else None
        elif c == "}" and depth == 0:
            return i
        else:
            depth += {"{": 1, "}": -1}.get(c, 0)
            end = i + 1
        if end is None:
            return None
        i = end
    return None
