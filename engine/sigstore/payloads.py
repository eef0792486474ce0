"""What is signed: cosign simple-signing payloads and in-toto statements.

- Simple signing (`application/vnd.dev.cosign.simplesigning.v1+json`): the
  claim `critical.image.docker-manifest-digest` binds a signature to one image
  manifest; it must equal the digest being verified.
- in-toto Statement v0.1 (what cosign and Tekton Chains write) and v1
  (checked with the `in-toto-attestation` library): a subject's `sha256`
  digest must equal the image digest.
- Predicate types cosign's `--type` names map to, and the syntax each known
  predicate must have (SLSA provenance v0.2 and v1, CycloneDX, SPDX).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement as StatementV1

from konflux.engine.choices import PREDICATE_KINDS
from konflux.engine.documents import json_loads
from konflux.engine.schemas import validator as schema_validator

from .errors import PayloadError

SIMPLE_SIGNING_TYPE = "cosign container image signature"

STATEMENT_V01 = "https://in-toto.io/Statement/v0.1"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"

SLSA_PROVENANCE_V02 = "https://slsa.dev/provenance/v0.2"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
CYCLONEDX = "https://cyclonedx.org/bom"
SPDX = "https://spdx.dev/Document"
COSIGN_CUSTOM = "https://cosign.sigstore.dev/attestation/v1"

# cosign's `attest --type` shorthands (cmd/cosign/cli/options/predicate.go).
PREDICATE_TYPES: dict[str, str] = {
    "slsaprovenance": SLSA_PROVENANCE_V02,
    "slsaprovenance02": SLSA_PROVENANCE_V02,
    "slsaprovenance1": SLSA_PROVENANCE_V1,
    "cyclonedx": CYCLONEDX,
    "spdx": SPDX,
    "spdxjson": SPDX,
    "custom": COSIGN_CUSTOM,
}

assert tuple(PREDICATE_TYPES) == PREDICATE_KINDS  # the CLI's `--type` choices

UNKNOWN_PREDICATE = "unknown predicate type"

# A SLSA Verification Summary (what `validate image --vsa-upload` attaches).
VSA = "https://slsa.dev/verification_summary/v1"

KNOWN_PREDICATE_TYPES = frozenset(
    {SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1, CYCLONEDX, SPDX, VSA, COSIGN_CUSTOM}
)

# JSON Schemas of whole statements, for the predicate types `ec` validates that way.
STATEMENT_SCHEMAS = {
    SLSA_PROVENANCE_V02: "slsa_provenance_v0.2.json",
    SLSA_PROVENANCE_V1: "slsa_provenance_v1.json",
}


@cache
def _schema_validator(name: str) -> Any:
    text = resources.files("konflux.engine.sigstore").joinpath("schemas", name).read_text()
    return schema_validator(json.loads(text))


def schema_problems(statement: Mapping[str, Any]) -> list[str]:
    """Where a statement of a schema-checked predicate type departs from its JSON Schema."""
    name = STATEMENT_SCHEMAS.get(str(statement.get("predicateType", "")))
    if not name:
        return []
    errors = sorted(_schema_validator(name).iter_errors(statement), key=lambda e: list(e.path))
    return [
        f"{statement['predicateType']}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: "
        f"{e.message}"
        for e in errors
    ]


def simple_signing_payload(
    docker_reference: str, digest: str, annotations: Mapping[str, Any] | None = None
) -> bytes:
    """The payload `cosign sign` signs, byte-compatible with sigstore's
    `payload.SimpleContainerImage` (Go field order, `optional: null` when empty)."""
    doc = {
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": digest},
            "type": SIMPLE_SIGNING_TYPE,
        },
        "optional": dict(annotations) if annotations else None,
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def check_simple_signing(payload: bytes, digest: str) -> str | None:
    """None when the payload is a simple-signing claim for `digest`, else the reason."""
    try:
        doc = json_loads(payload)
    except ValueError as exc:
        return f"signature payload is not JSON: {exc}"
    if not isinstance(doc, dict) or not isinstance(doc.get("critical"), dict):
        return "signature payload is not a simple signing document (no `critical` object)"
    critical = doc["critical"]
    kind = critical.get("type")
    if kind is not None and str(kind).lower() != SIMPLE_SIGNING_TYPE:
        return f"signature payload has type {kind!r}, expected {SIMPLE_SIGNING_TYPE!r}"
    image = critical.get("image")
    found = image.get("docker-manifest-digest") if isinstance(image, dict) else None
    if found != digest:
        # cosign's SimpleClaimVerifier wording.
        return f"invalid or missing digest in claim: {found or ''}"
    return None


def in_toto_statement(
    predicate_type: str, predicate: Any, subject_name: str, digest: str
) -> dict[str, Any]:
    """A Statement v0.1 as `cosign attest` writes it (one subject: repository and sha256)."""
    algorithm, _, hex_digest = digest.partition(":")
    return {
        "_type": STATEMENT_V01,
        "predicateType": predicate_type,
        "subject": [{"name": subject_name, "digest": {algorithm: hex_digest}}],
        "predicate": predicate,
    }


def parse_statement(payload: bytes) -> dict[str, Any]:
    """The statement of a DSSE payload, checked for in-toto's structure (v0.1 or v1)."""
    try:
        doc = json_loads(payload)
    except ValueError as exc:
        raise PayloadError(f"attestation payload is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise PayloadError("attestation payload is not a JSON object")
    kind = doc.get("_type")
    if kind == STATEMENT_V1:
        # Validated with the in-toto-attestation library's v1 model.
        try:
            pb = json_format.ParseDict(doc, statement_pb2.Statement(), ignore_unknown_fields=False)
            StatementV1.copy_from_pb(pb).validate()
        except (json_format.ParseError, ValueError) as exc:
            raise PayloadError(f"invalid in-toto Statement v1: {exc}") from exc
    elif kind == STATEMENT_V01:
        _check_statement_v01(doc)
    else:
        raise PayloadError(f"unsupported attestation type: {kind}")
    return doc


def _check_statement_v01(doc: Mapping[str, Any]) -> None:
    subjects = doc.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise PayloadError("invalid in-toto Statement v0.1: at least one subject required")
    for i, s in enumerate(subjects):
        if not isinstance(s, dict) or not isinstance(s.get("digest"), dict) or not s["digest"]:
            raise PayloadError(f"invalid in-toto Statement v0.1: subject {i} has no digest")
    if not isinstance(doc.get("predicateType"), str) or not doc["predicateType"]:
        raise PayloadError("invalid in-toto Statement v0.1: predicateType required")
    if "predicate" not in doc:
        raise PayloadError("invalid in-toto Statement v0.1: predicate required")


def check_subject(statement: Mapping[str, Any], digest: str) -> str | None:
    """None when a subject of the statement carries `digest`, else the reason."""
    algorithm, _, hex_digest = digest.partition(":")
    for s in statement.get("subject") or []:
        if not isinstance(s, dict):
            return "invalid in-toto statement: null subject entry"
        digests = s.get("digest") or {}
        if isinstance(digests, dict) and digests.get(algorithm) == hex_digest:
            return None
    return "no matching subject digest found"


def predicate_problems(statement: Mapping[str, Any]) -> list[str]:
    """What is wrong with the predicate for its type; an unknown type is a problem itself."""
    ptype = statement.get("predicateType")
    pred = statement.get("predicate")
    problems: list[str] = []

    def need(obj: Any, path: str) -> Any:
        cur = obj
        for part in path.split("."):
            if not isinstance(cur, dict) or part not in cur:
                problems.append(f"{ptype}: predicate lacks required field {path}")
                return None
            cur = cur[part]
        return cur

    if ptype == SLSA_PROVENANCE_V02:
        if statement.get("_type") != STATEMENT_V01:
            problems.append(f"{ptype}: expected statement type {STATEMENT_V01}")
        need(pred, "builder.id")
        need(pred, "buildType")
    elif ptype == SLSA_PROVENANCE_V1:
        need(pred, "buildDefinition.buildType")
        need(pred, "buildDefinition.externalParameters")
        need(pred, "runDetails.builder.id")
    elif ptype == CYCLONEDX:
        if need(pred, "bomFormat") not in (None, "CycloneDX"):
            problems.append(f"{ptype}: bomFormat is {pred['bomFormat']!r}, not 'CycloneDX'")
        need(pred, "specVersion")
    elif ptype == VSA:
        need(pred, "verificationResult")
    elif ptype == COSIGN_CUSTOM:
        # cosign's `--type custom` (our `attest` default): the file's text and the time.
        for name in ("Data", "Timestamp"):
            if not isinstance(need(pred, name), str | None):
                problems.append(f"{ptype}: {name} is not a string")
    elif ptype == SPDX:
        # cosign's `--type spdx` stores the document as a string, `spdxjson` as an object.
        if isinstance(pred, str):
            if "SPDXVersion" not in pred and "spdxVersion" not in pred:
                problems.append(f"{ptype}: predicate string is not an SPDX document")
        else:
            need(pred, "spdxVersion")
            need(pred, "SPDXID")
    else:
        problems.append(f"{UNKNOWN_PREDICATE} {ptype!r}")
    return problems + schema_problems(statement)


def resolve_predicate_type(kind: str) -> str:
    """cosign's `--type`: a shorthand or a URI."""
    if kind in PREDICATE_TYPES:
        return PREDICATE_TYPES[kind]
    if "://" in kind:
        return kind
    raise PayloadError(
        f"invalid predicate type {kind!r}: one of {', '.join(PREDICATE_TYPES)} or a URI"
    )


def predicate_from_file(kind: str, data: bytes, *, source: str) -> Any:
    """The predicate `cosign attest --type kind --predicate source` embeds."""
    if kind == "spdx":
        return data.decode("utf-8", errors="replace")
    if resolve_predicate_type(kind) == COSIGN_CUSTOM:
        # cosign's custom predicate wraps the raw file with the attestation time.
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"Data": data.decode("utf-8", errors="replace"), "Timestamp": now}
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise PayloadError(f"{source}: predicate is not JSON: {exc}") from exc
    if kind in ("slsaprovenance1",) and isinstance(value, dict):
        # cosign renames runDetails.metadata.invocationID to the proto's invocationId.
        meta = (
            value.get("runDetails", {}).get("metadata")
            if isinstance(value.get("runDetails"), dict)
            else None
        )
        if isinstance(meta, dict) and "invocationID" in meta:
            meta["invocationId"] = meta.pop("invocationID")
    return value
