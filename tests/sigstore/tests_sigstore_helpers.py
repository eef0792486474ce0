"""Small builders shared by the sigstore tests (layers from blobs, digests, certificates)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from konflux.engine.sigstore.cosign_layout import Blob, CosignLayer
from konflux.engine.sigstore.keys import PrivateKey


def digest_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def as_layer(blob: Blob, annotations: dict[str, str]) -> tuple[CosignLayer, bytes]:
    return CosignLayer(blob.digest, blob.media_type, len(blob.data), annotations), blob.data


def with_content(
    layer: tuple[CosignLayer, bytes], data: bytes, *, rehash: bool = True
) -> tuple[CosignLayer, bytes]:
    """The same layer holding `data` (with a matching digest unless `rehash` is False)."""
    lay, _ = layer
    digest = "sha256:" + hashlib.sha256(data).hexdigest() if rehash else lay.digest
    return CosignLayer(digest, lay.media_type, len(data), dict(lay.annotations)), data


def self_signed_pem(key: PrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2030, 1, 1, tzinfo=UTC))
        .sign(key.key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()
