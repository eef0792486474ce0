"""Typed errors of the OCI registry client.

Every error names the reference it was about, the HTTP status when there was
one, and what went wrong in words a user can act on, e.g.
``quay.io/x/y:1: manifest unknown (404)``. Error codes follow the OCI
distribution spec, section "Error Codes" (MANIFEST_UNKNOWN, BLOB_UNKNOWN, ...).
"""

from __future__ import annotations

from konflux.engine.errors import KonfluxError
from konflux.engine.limits import LimitExceeded, past_limit


class RegistryError(KonfluxError):
    """A registry operation could not be completed."""

    def __init__(self, reference: str, message: str, *, status: int | None = None):
        self.reference = reference
        self.status = status
        self.reason = message
        text = f"{reference}: {message}"
        if status is not None and f"({status})" not in message:
            text += f" ({status})"
        super().__init__(text)


class InvalidReferenceError(KonfluxError, ValueError):
    """An image reference string is not a valid `registry/repository[:tag][@digest]`."""

    def __init__(self, reference: str, message: str):
        self.reference = reference
        super().__init__(f"invalid image reference {reference!r}: {message}")


class NotFoundError(RegistryError):
    """The registry answered 404 for a manifest, blob or repository."""


class AuthenticationError(RegistryError):
    """The registry refused the credentials we have (or we have none it accepts)."""


class DigestMismatchError(RegistryError):
    """Content read from the registry does not hash to the digest it was asked for."""


class InsecureRegistryError(RegistryError):
    """Plain HTTP (or an untrusted TLS peer) was needed for a host not allowed to use it."""


class ResponseTooLarge(RegistryError, LimitExceeded):
    """A registry answer longer than the limit for its kind (read only up to the limit)."""

    def __init__(self, reference: str, what: str, limit: str, value: int):
        RegistryError.__init__(self, reference, f"the {what} is {past_limit(limit, value)}")
        self.limit = limit.replace("_", "-")
