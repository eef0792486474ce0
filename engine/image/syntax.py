"""Attestation syntax check: statements of known predicate types must match their JSON Schema.

Unknown predicate types pass this check (policies decide about them);
having no attestation at all fails it, so an empty set never passes.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

SCHEMAS = {
    "https://slsa.dev/provenance/v0.2": "slsa_provenance_v0.2.json",
    "https://slsa.dev/provenance/v1": "slsa_provenance_v1.json",
}


@cache
def _validator(name: str) -> Draft202012Validator:
    text = resources.files("konflux.engine.image").joinpath("schemas", name).read_text()
    return Draft202012Validator(json.loads(text), format_checker=FormatChecker())


def syntax_errors(statements: list[dict[str, Any]]) -> str | None:
    """None when every statement of a known type is valid; otherwise what is wrong."""
    if not statements:
        return "no attestation data"
    problems = []
    for i, statement in enumerate(statements):
        name = SCHEMAS.get(str(statement.get("predicateType", "")))
        if not name:
            continue
        for err in sorted(_validator(name).iter_errors(statement), key=lambda e: list(e.path)):
            where = "/".join(map(str, err.absolute_path)) or "(root)"
            problems.append(
                f"attestation {i} ({statement['predicateType']}): {where}: {err.message}"
            )
    if problems:
        return "attestation syntax validation failed: " + "; ".join(problems)
    return None
