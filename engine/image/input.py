"""The policy input for one image, in the shape `ec` builds (documented in docs/input.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from konflux.engine.image import ec_shapes
from konflux.engine.output.documents import policy_document


@dataclass
class ImageFacts:
    """What was fetched and verified for one image."""

    ref: str  # digest-pinned
    signatures: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] | None = None
    parent_ref: str | None = None
    parent_config: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    source: dict[str, Any] = field(default_factory=dict)
    attestations: list[tuple[dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)


def policy_input(
    facts: ImageFacts, snapshot: dict[str, Any], component: str, policy_spec: dict[str, Any]
) -> dict[str, Any]:
    image: dict[str, Any] = {"ref": facts.ref}
    if facts.signatures:
        image["signatures"] = facts.signatures
    if facts.config is not None:
        image["config"] = facts.config
    if facts.parent_ref:
        parent: dict[str, Any] = {"ref": facts.parent_ref}
        if facts.parent_config is not None:
            parent["config"] = facts.parent_config
        image["parent"] = parent
    if facts.files:
        image["files"] = facts.files
    image["source"] = facts.source or {}  # ec: the component's source, `{}` when it has none
    attestations = []
    for statement, signatures in facts.attestations:
        entry: dict[str, Any] = {"statement": statement}
        if signatures:
            entry["signatures"] = signatures
        attestations.append(entry)
    doc: dict[str, Any] = {
        "attestations": attestations,
        "image": image,
        "snapshot": ec_shapes.snapshot_spec(snapshot),
    }
    if component:
        doc["component_name"] = component
    # The (pinned) policy spec as ec's struct marshals it: always present, `{}` when empty.
    doc["policy_spec"] = policy_document(policy_spec or {})
    return doc


def attestation_time(statements: list[dict[str, Any]]) -> datetime | None:
    """The latest build finish time over the attestations (for `--effective-time attestation`)."""
    latest = None
    for s in statements:
        predicate = s.get("predicate") if isinstance(s.get("predicate"), dict) else {}
        finished = (predicate.get("metadata") or {}).get("buildFinishedOn") or (
            (predicate.get("runDetails") or {}).get("metadata") or {}
        ).get("finishedOn")
        if not isinstance(finished, str):
            continue
        try:
            when = datetime.fromisoformat(finished.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            continue
        latest = when if latest is None or when > latest else latest
    return latest


def attestation_summary(
    statement: dict[str, Any], signatures: list[dict[str, Any]]
) -> dict[str, Any]:
    """How the report lists an attestation: type, predicate type, build type, signatures."""
    out: dict[str, Any] = {
        "type": statement.get("_type", ""),
        "predicateType": statement.get("predicateType", ""),
    }
    predicate = statement.get("predicate") if isinstance(statement.get("predicate"), dict) else {}
    build_type = predicate.get("buildType") or (predicate.get("buildDefinition") or {}).get(
        "buildType"
    )
    if build_type:
        out["predicateBuildType"] = build_type
    if signatures:
        out["signatures"] = signatures
    return out
