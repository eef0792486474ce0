"""Rekor bundles checked offline: the SignedEntryTimestamp and what the entry says.

A cosign layer's `dev.sigstore.cosign/bundle` annotation is

    {"SignedEntryTimestamp": "<b64 ECDSA sig>",
     "Payload": {"body": "<b64 entry>", "integratedTime": 1700000000,
                 "logIndex": 1, "logID": "<hex sha256 of the log's SPKI DER>"}}

The SET is the log's signature over the RFC 8785 canonical JSON of `Payload`
(cosign `VerifySET`); a verified SET proves the entry was integrated at
`integratedTime`, which is the signing time keyless certificates are checked
against. The entry body must then describe *this* signature: same signature
(hashedrekord/rekord), same public key or certificate, and the hash of the
signed payload (cosign `compareSigs`, `comparePublicKey`, `bundleHash`).

Also here, for our own fixtures and local logs: building entry bodies and
signing a SET with a key we hold.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from konflux.engine.documents import json_loads

from .keys import PrivateKey, PublicKey, _pem_blocks


@dataclass(frozen=True)
class RekorBundle:
    signed_entry_timestamp: bytes
    body: str
    integrated_time: int
    log_index: int
    log_id: str

    def payload(self) -> dict[str, Any]:
        return {
            "body": self.body,
            "integratedTime": self.integrated_time,
            "logIndex": self.log_index,
            "logID": self.log_id,
        }

    def to_json(self) -> str:
        # Go's json.Marshal of cosign's bundle.RekorBundle: []byte becomes base64.
        return json.dumps(
            {
                "SignedEntryTimestamp": base64.b64encode(self.signed_entry_timestamp).decode(),
                "Payload": self.payload(),
            },
            separators=(",", ":"),
        )

    def entry(self) -> dict[str, Any]:
        try:
            doc = json_loads(base64.b64decode(self.body, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"bundle body is not base64 JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise ValueError("bundle body is not a JSON object")
        return doc


def parse_bundle(text: str) -> RekorBundle:
    """Read a bundle annotation; raises ValueError naming what is malformed."""
    try:
        doc = json_loads(text)
        payload = doc["Payload"]
        body = payload["body"]
        if not isinstance(body, str):
            raise ValueError("bundle payload body is not a string")
        return RekorBundle(
            base64.b64decode(doc["SignedEntryTimestamp"], validate=True),
            body,
            int(payload["integratedTime"]),
            int(payload["logIndex"]),
            str(payload["logID"]),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed Rekor bundle: missing {exc}") from exc
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"malformed Rekor bundle: {exc}") from exc


def canonical_json(value: Mapping[str, Any]) -> bytes:
    """RFC 8785 canonical form of the bundle payload.

    The payload holds only ASCII strings (base64, hex) and integers, for which
    sorted keys, no whitespace and JSON's own escaping *are* RFC 8785.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def log_id_of(key: PublicKey) -> str:
    """Rekor's log ID: hex SHA-256 of the log key's SubjectPublicKeyInfo DER."""
    return hashlib.sha256(key.der).hexdigest()


def verify_set(bundle: RekorBundle, log_keys: Iterable[PublicKey]) -> str | None:
    """None when the bundle's SET verifies under the key of its log, else the reason."""
    keys = {log_id_of(k): k for k in log_keys}
    if not keys:
        return "no trusted rekor public keys provided"
    key = keys.get(bundle.log_id)
    if key is None:
        return "verifying bundle: rekor log public key not found for payload"
    if not key.verify(bundle.signed_entry_timestamp, canonical_json(bundle.payload())):
        return "unable to verify SET"
    return None


def _key_der(pem_b64: str) -> bytes | None:
    try:
        blocks = _pem_blocks(base64.b64decode(pem_b64, validate=True))
    except (binascii.Error, ValueError):
        return None
    return blocks[0][1] if blocks else None


def _entry_pem(pem_b64: str | None) -> str:
    try:
        return base64.b64decode(pem_b64 or "", validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return str(pem_b64)


def _entry_fields(entry: Mapping[str, Any]) -> tuple[str, str, str | None, str | None]:
    """(hash algorithm, hash value, base64 signature or None, base64 PEM key) of an entry."""
    kind, version, spec = entry.get("kind"), entry.get("apiVersion"), entry.get("spec") or {}
    if kind == "hashedrekord":
        h = spec["data"]["hash"]
        sig = spec["signature"]
        return h["algorithm"], h["value"], sig.get("content"), sig["publicKey"]["content"]
    if kind == "rekord":
        h = spec["data"]["hash"]
        sig = spec["signature"]
        return h["algorithm"], h["value"], sig.get("content"), sig["publicKey"]["content"]
    if kind == "intoto" and version == "0.0.2":
        content = spec["content"]
        sigs = content["envelope"]["signatures"]
        if len(sigs) != 1:
            raise ValueError("multiple signatures on DSSE envelopes are not currently supported")
        # intoto v0.0.2 stores the DSSE signature base64 encoded twice.
        sig = base64.b64decode(sigs[0]["sig"]).decode()
        return content["hash"]["algorithm"], content["hash"]["value"], sig, sigs[0]["publicKey"]
    if kind == "intoto":
        content = spec["content"]
        return content["hash"]["algorithm"], content["hash"]["value"], None, spec["publicKey"]
    if kind == "dsse":
        sigs = spec["signatures"]
        if len(sigs) != 1:
            raise ValueError("multiple signatures on DSSE envelopes are not currently supported")
        h = spec["envelopeHash"]
        return h["algorithm"], h["value"], sigs[0]["signature"], sigs[0]["verifier"]
    raise ValueError(f"unsupported Rekor entry type {kind} {version}")


def check_body(
    bundle: RekorBundle, *, payload: bytes, signature_b64: str, key_pem: bytes
) -> str | None:
    """None when the bundle's entry is about this signature, payload and key, else why not.

    `signature_b64` is empty for attestations, whose signature lives in the payload.
    `key_pem` is the certificate PEM for keyless signatures, else the public key PEM.
    """
    try:
        algorithm, value, entry_sig, entry_key = _entry_fields(bundle.entry())
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        return f"cannot read Rekor entry in bundle: {exc}"
    if signature_b64 and entry_sig and entry_sig != signature_b64:
        return "signature in bundle does not match signature being verified"
    blocks = _pem_blocks(key_pem)
    if not blocks or _key_der(entry_key) != blocks[0][1]:
        # cosign's words: expected is the key we verify with, got the one the entry names.
        return (
            f"comparing public key PEMs, expected {key_pem.decode('utf-8', 'replace')}, "
            f"got {_entry_pem(entry_key)}"
        )
    if algorithm != "sha256":
        return f"unexpected algorithm: {algorithm!r}"
    payload_hash = hashlib.sha256(payload).hexdigest()
    if value != payload_hash:
        return f"matching bundle to payload: bundle={value!r}, payload={payload_hash!r}"
    return None


def hashedrekord_body(payload: bytes, signature_b64: str, key_pem: bytes) -> str:
    """A `hashedrekord` v0.0.1 entry body (base64) for a simple signature."""
    entry = {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()}},
            "signature": {
                "content": signature_b64,
                "publicKey": {"content": base64.b64encode(key_pem).decode()},
            },
        },
    }
    return base64.b64encode(json.dumps(entry, separators=(",", ":")).encode()).decode()


def intoto_body(envelope_json: bytes, key_pem: bytes) -> str:
    """An `intoto` v0.0.2 entry body (base64) for a DSSE attestation envelope."""
    env = json.loads(envelope_json)
    payload = base64.b64decode(env["payload"])
    entry = {
        "apiVersion": "0.0.2",
        "kind": "intoto",
        "spec": {
            "content": {
                "envelope": {
                    "payloadType": env["payloadType"],
                    "signatures": [
                        {
                            "publicKey": base64.b64encode(key_pem).decode(),
                            "sig": base64.b64encode(s["sig"].encode()).decode(),
                        }
                        for s in env["signatures"]
                    ],
                },
                "hash": {"algorithm": "sha256", "value": hashlib.sha256(envelope_json).hexdigest()},
                "payloadHash": {
                    "algorithm": "sha256",
                    "value": hashlib.sha256(payload).hexdigest(),
                },
            }
        },
    }
    return base64.b64encode(json.dumps(entry, separators=(",", ":")).encode()).decode()


def sign_bundle(
    body: str, log_key: PrivateKey, *, integrated_time: int, log_index: int = 0
) -> RekorBundle:
    """A bundle whose SET is signed by `log_key`: what a Rekor log we run would return."""
    unsigned = RekorBundle(b"", body, integrated_time, log_index, log_id_of(log_key.public))
    return RekorBundle(
        log_key.sign(canonical_json(unsigned.payload())),
        body,
        integrated_time,
        log_index,
        unsigned.log_id,
    )


@dataclass(frozen=True)
class LocalLog:
    """A transparency log we hold the key of (tests, air-gapped fixtures): it returns
    bundles a verifier configured with `key.public` accepts."""

    key: PrivateKey
    integrated_time: int | None = None  # None: the current time

    def bundle(self, body: str, log_index: int = 0) -> RekorBundle:
        import time

        t = self.integrated_time if self.integrated_time is not None else int(time.time())
        return sign_bundle(body, self.key, integrated_time=t, log_index=log_index)
