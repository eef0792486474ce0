"""DSSE envelopes: parse, sign and verify (https://github.com/secure-systems-lab/dsse).

An attestation layer of cosign is one envelope
`{"payloadType", "payload": b64, "signatures": [{"keyid", "sig": b64}]}`;
signatures are over the pre-authentication encoding (PAE) of type and payload,
never over the payload alone, so a payload cannot be replayed under another type.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from konflux.engine.documents import json_loads

from .errors import PayloadError
from .keys import PrivateKey, PublicKey

INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """`DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal bytes."""
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


@dataclass(frozen=True)
class DsseSignature:
    keyid: str
    sig: str  # base64, as stored

    def raw(self) -> bytes:
        return base64.b64decode(self.sig, validate=True)


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[DsseSignature, ...] = field(default_factory=tuple)

    def to_json(self) -> bytes:
        # Field order and spelling as go-securesystemslib's dsse.Envelope marshals.
        doc = {
            "payloadType": self.payload_type,
            "payload": base64.b64encode(self.payload).decode(),
            "signatures": [{"keyid": s.keyid, "sig": s.sig} for s in self.signatures],
        }
        return json.dumps(doc, separators=(",", ":")).encode()

    def payload_json(self) -> Any:
        """The payload parsed as JSON; a payload that is not JSON is a `PayloadError`."""
        try:
            return json_loads(self.payload)
        except ValueError as exc:
            raise PayloadError(f"DSSE payload is not JSON: {exc}") from exc


def parse_envelope(data: bytes | str, *, where: str = "attestation layer") -> Envelope:
    """Read a DSSE envelope; every malformation is named."""
    try:
        doc = json_loads(data)
    except ValueError as exc:
        raise PayloadError(f"{where}: not a JSON DSSE envelope: {exc}") from exc
    if not isinstance(doc, dict):
        raise PayloadError(f"{where}: DSSE envelope is not a JSON object")
    payload_type = doc.get("payloadType")
    payload = doc.get("payload")
    sigs = doc.get("signatures")
    if not isinstance(payload_type, str) or not isinstance(payload, str):
        raise PayloadError(f"{where}: DSSE envelope lacks string payloadType/payload")
    if not payload:
        raise PayloadError(f"{where}: no `payload` data found in DSSE envelope")
    if not isinstance(sigs, list):
        raise PayloadError(f"{where}: DSSE envelope lacks a signatures list")
    try:
        body = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PayloadError(f"{where}: DSSE payload is not valid base64: {exc}") from exc
    signatures = []
    for i, s in enumerate(sigs):
        if not isinstance(s, dict) or not isinstance(s.get("sig"), str):
            raise PayloadError(f"{where}: DSSE signature {i} has no `sig` string")
        signatures.append(DsseSignature(str(s.get("keyid") or ""), s["sig"]))
    return Envelope(payload_type, body, tuple(signatures))


def sign_envelope(
    payload: bytes, key: PrivateKey, payload_type: str = INTOTO_PAYLOAD_TYPE, keyid: str = ""
) -> Envelope:
    sig = key.sign(pae(payload_type, payload))
    return Envelope(payload_type, payload, (DsseSignature(keyid, base64.b64encode(sig).decode()),))


def verify_envelope(envelope: Envelope, key: PublicKey) -> str | None:
    """None when a signature of the envelope verifies under `key`, else the reason."""
    if not envelope.signatures:
        return "DSSE envelope has no signatures"
    message = pae(envelope.payload_type, envelope.payload)
    for s in envelope.signatures:
        try:
            raw = s.raw()
        except (binascii.Error, ValueError):
            continue
        if key.verify(raw, message):
            return None
    # cosign's (go-securesystemslib's) wording, so reports read as `ec`'s do.
    return "accepted signatures do not match threshold, Found: 0, Expected 1"
