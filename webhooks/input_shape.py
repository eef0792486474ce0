"""Which parts of an AdmissionReview request a bundle's rules can read.

Turning the input into OPA values costs time in proportion to its size, and
the API server sends much the rules never look at (`kind`, `resource`,
`options`, `metadata.managedFields`...). A scan of the bundle's Rego finds the
top-level `input.<field>`s it names; the rules then see only those. Any use of
`input` that is not such a reference (`input[k]`, `with input as`, `walk(input)`)
keeps every field, and so does naming `managedFields` anywhere: the scan only
ever drops what no rule can reach.
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
        doc = {key: request[key] for key in known
               if key in request and (read is None or key in read)}
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
        for match in _TOKEN.finditer(source):
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
