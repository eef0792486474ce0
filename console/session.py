"""How a browser presents its bearer token: an `Authorization` header or a sealed cookie.

An authenticating proxy in front of the console (oauth2-proxy and the like) sends
`Authorization: Bearer <token>`; a person without one pastes a token into the login
form once. The cookie then holds the token sealed with AES-GCM under a key only the
console holds, with the time it was issued (the seal expires after `max_age`), so
the token is never readable from the browser's storage, logs or a proxy's cache.
The cookie is HttpOnly, SameSite=Strict and, when served over TLS, Secure.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import time
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

COOKIE = "konflux-console"
_AAD = b"konflux-console-session-v1"


class SessionSealer:
    """Seals a token into a cookie value and opens it again (None when forged or expired)."""

    def __init__(
        self,
        key: bytes | None = None,
        *,
        max_age: int = 8 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        key = key or AESGCM.generate_key(bit_length=256)
        if len(key) != 32:
            raise ValueError("the session key must be 32 bytes")
        self._aead, self.max_age, self.clock = AESGCM(key), max_age, clock

    @classmethod
    def from_file(cls, path: str, **kwargs: object) -> SessionSealer:
        """A key shared by replicas: 32 raw bytes, or 64 hex digits, in a file."""
        with open(path, "rb") as f:
            data = f.read().strip()
        if len(data) == 64:
            with contextlib.suppress(ValueError):
                data = bytes.fromhex(data.decode())
        return cls(data, **kwargs)  # type: ignore[arg-type]

    def seal(self, token: str) -> str:
        nonce = os.urandom(12)
        plain = f"{int(self.clock())}:{token}".encode()
        sealed = nonce + self._aead.encrypt(nonce, plain, _AAD)
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(self, value: str) -> str | None:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            plain = self._aead.decrypt(raw[:12], raw[12:], _AAD).decode()
        except (binascii.Error, ValueError, InvalidTag, UnicodeDecodeError):
            return None
        issued, _, token = plain.partition(":")
        if not issued.isdigit() or self.clock() - int(issued) > self.max_age:
            return None
        return token or None


def bearer(header: str) -> str:
    """The token of an `Authorization: Bearer ...` header, or ""."""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
