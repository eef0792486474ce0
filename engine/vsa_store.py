"""Verification Summary Attestations kept and found again: `--vsa-upload`, `--vsa-expiration`,
`validate vsa`.

A VSA (engine/output/vsa.py: SLSA's predicate, one per image) is stored in a backend:
- `local@DIR`: the DSSE envelope as `DIR/vsa-<time>-<content hash>.json`, ec's name;
- `oci`: an attestation on the image itself, next to its provenance (cosign's `.att`).
(`ec` also stores in Rekor; `rekor@URL` is refused with a clear message.)

`find_valid_vsa` decides whether an image may skip validation, as `ec --vsa-expiration`
does: a VSA of that exact digest whose signature verifies with the VSA public key, that
PASSED, is younger than the expiration, and was made for the same (pinned) policy. Any
doubt — unreadable, unsigned, another policy, too old — means "validate again": a VSA
can only save work, never let an image through that would fail.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from konflux.engine.errors import KonfluxError

VSA_FILE_SUFFIX = ".vsa.json"


class VsaError(KonfluxError):
    """A VSA backend is misconfigured or could not be written."""


@dataclass(frozen=True)
class Backend:
    kind: str  # local | oci | rekor
    location: str = ""


def parse_backend(spec: str) -> Backend:
    """`local@DIR`, `file@DIR` (ec's retrieval name), `oci`, or `rekor@URL`."""
    kind, _, location = spec.partition("@")
    kind = kind.lower()
    if kind in {"local", "file"}:
        if not location:
            raise VsaError(f"{spec!r}: a local backend needs a directory (local@DIR)")
        return Backend("local", location)
    if kind == "oci" and not location:
        return Backend("oci")
    if kind == "rekor":
        return Backend("rekor", location or "https://rekor.sigstore.dev")
    raise VsaError(f"invalid VSA backend {spec!r}: use local@DIR, oci or rekor@URL")


def policy_digest(spec: dict[str, Any]) -> str:
    """The digest a VSA records for the policy it was made under: what decides the outcome
    (the sources pinned, their rule data and configuration, and the deprecated global
    configuration), not where the keys came from."""
    decisive = {k: spec[k] for k in ("sources", "configuration") if k in spec}
    canonical = json.dumps(decisive, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()


def digest_hex(image: str) -> str:
    return image.partition("@")[2].partition(":")[2]


def upload_local(directory: Path, envelope_json: str) -> Path:
    """ec's local backend: `vsa-<time>-<first 8 bytes of the content's sha256>.json`."""
    directory.mkdir(parents=True, exist_ok=True)
    data = envelope_json.encode()
    stamp = datetime.now().strftime("%Y-%m-%dT%H-%M-%S.%f") + "000"
    path = directory / f"vsa-{stamp}-{hashlib.sha256(data).hexdigest()[:16]}.json"
    path.write_bytes(data)
    return path


def write_local(directory: Path, image: str, envelope_json: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{digest_hex(image)}{VSA_FILE_SUFFIX}"
    path.write_text(envelope_json + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class VsaVerdict:
    usable: bool
    reason: str
    time_verified: datetime | None = None


def _statement(envelope_json: str | bytes, public_key: Any) -> tuple[dict[str, Any] | None, str]:
    from konflux.engine.sigstore.dsse import parse_envelope, verify_envelope
    from konflux.engine.sigstore.errors import PayloadError

    try:
        envelope = parse_envelope(envelope_json, where="VSA")
    except PayloadError as exc:
        return None, str(exc)
    if public_key is not None:
        reason = verify_envelope(envelope, public_key)
        if reason:
            return None, f"VSA signature: {reason}"
    try:
        return json.loads(envelope.payload), ""
    except ValueError as exc:
        return None, f"VSA payload is not JSON: {exc}"


def judge(
    envelope_json: str | bytes,
    *,
    image: str,
    public_key: Any,
    policy: str,
    max_age: timedelta,
    now: datetime,
) -> VsaVerdict:
    """Whether this VSA lets `image` skip validation, and why (not)."""
    from konflux.engine.output.vsa import VSA_PREDICATE

    statement, problem = _statement(envelope_json, public_key)
    if statement is None:
        return VsaVerdict(False, problem)
    if statement.get("predicateType") != VSA_PREDICATE:
        return VsaVerdict(False, f"not a VSA: {statement.get('predicateType')!r}")
    hex_digest = digest_hex(image)
    subjects = statement.get("subject") or []
    if not any((s.get("digest") or {}).get("sha256") == hex_digest for s in subjects):
        return VsaVerdict(False, "the VSA is about another image")
    predicate = statement.get("predicate") or {}
    if predicate.get("verificationResult") != "PASSED":
        return VsaVerdict(False, f"the VSA says {predicate.get('verificationResult')!r}")
    if ((predicate.get("policy") or {}).get("digest") or {}).get("sha256") != policy:
        return VsaVerdict(False, "the VSA was made under another policy")
    try:
        when = datetime.fromisoformat(str(predicate.get("timeVerified")).replace("Z", "+00:00"))
    except ValueError:
        return VsaVerdict(False, "the VSA has no valid timeVerified")
    when = when.astimezone(UTC)
    if when > now + timedelta(minutes=5):
        return VsaVerdict(False, "the VSA was made in the future")
    if now - when > max_age:
        return VsaVerdict(False, f"the VSA expired ({when:%Y-%m-%dT%H:%M:%SZ})", when)
    return VsaVerdict(True, f"a valid VSA from {when:%Y-%m-%dT%H:%M:%SZ}", when)


def candidates(backends: list[Backend], image: str, registry: Any = None) -> list[bytes]:
    """Stored VSA envelopes that may be about `image` (a digest reference)."""
    found: list[bytes] = []
    for backend in backends:
        if backend.kind == "local":
            # ec's upload names, and the per-digest files --attestation-output-dir writes
            directory = Path(backend.location)
            named = directory / f"{digest_hex(image)}{VSA_FILE_SUFFIX}"
            paths = [*sorted(directory.glob("vsa-*.json")), named]
            found += [p.read_bytes() for p in paths if p.is_file()]
        elif backend.kind == "oci" and registry is not None:
            found += _oci_envelopes(registry, image)
    return found


def _oci_envelopes(registry: Any, image: str) -> list[bytes]:
    """The DSSE layers of the image's `.att` artifact (the VSA among the provenance)."""
    from konflux.engine.oci import parse_reference
    from konflux.engine.sigstore import cosign_layout as layout
    from konflux.engine.sigstore.verify import fetch_artifact_layers

    try:
        layers = registry.run(
            fetch_artifact_layers(
                registry.client, parse_reference(image), layout.ATTESTATION_SUFFIX
            )
        )
    except (KonfluxError, OSError, TimeoutError):
        return []
    return [data for _, data in layers or []]


def find_valid_vsa(
    backends: list[Backend],
    image: str,
    *,
    public_key: Any,
    policy: str,
    max_age: timedelta,
    now: datetime | None = None,
    registry: Any = None,
) -> VsaVerdict:
    now = now or datetime.now(UTC)
    best = VsaVerdict(False, "no VSA found")
    for envelope in candidates(backends, image, registry):
        verdict = judge(
            envelope, image=image, public_key=public_key, policy=policy, max_age=max_age, now=now
        )
        if verdict.usable:
            return verdict
        best = verdict
    return best


def envelope_statement(envelope_json: str | bytes) -> dict[str, Any] | None:
    """The statement of an envelope, unverified (for reporting only)."""
    try:
        return json.loads(base64.b64decode(json.loads(envelope_json)["payload"]))
    except (ValueError, KeyError, TypeError):
        return None
