"""Typed errors of the signing and verification layer.

Verification outcomes are values (`konflux.engine.sigstore.results`); these
exceptions are for input a user must fix (a key that does not parse, a wrong
password, a trusted root that is not one) and for artifacts too malformed to
judge. Each message names the file, image or field at fault.
"""

from __future__ import annotations

from konflux.engine.errors import KonfluxError


class SigstoreError(KonfluxError):
    """Base of the errors raised by `konflux.engine.sigstore`."""


class KeyFormatError(SigstoreError):
    """A public or private key (or certificate) could not be read."""


class KeyPasswordError(KeyFormatError):
    """An encrypted private key could not be decrypted with the password given."""


class TrustedRootError(SigstoreError):
    """A sigstore TrustedRoot document is missing, malformed or holds no usable material."""


class PayloadError(SigstoreError):
    """A payload (simple signing, DSSE envelope, in-toto statement, predicate) is malformed."""


class SigningError(SigstoreError):
    """Signing or pushing cosign artifacts could not be completed."""
