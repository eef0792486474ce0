"""Content digests as OCI and cosign write them (`sha256:<hex>`)."""

from __future__ import annotations

import hashlib


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
