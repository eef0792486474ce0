"""cosign-compatible signatures and attestations: keys, formats, verification, signing.

Public surface (everything else is an implementation detail of its module):

- keys: `load_public_key`, `load_private_key`, `generate_key_pair`, `PublicKey`, `PrivateKey`
- trust: `check_options` (from flag values), `CheckOptions`, `KeylessPolicy`, `Identity`,
  `load_trusted_root`, `parse_trusted_root`, `TrustedRoot`
- verification (async, over a `RegistryClient`): `verify_image_signatures`,
  `verify_attestations`, `fetch_sbom`; pure: `verify_signature_layers`,
  `verify_attestation_layers`; results: `VerificationSuccess`,
  `VerificationFailure`, `SignatureReport`, `AttestationReport`
- signing (async): `sign_image`, `attest_image`, `attach_sbom`; `LocalLog`
"""

from .errors import (
    KeyFormatError,
    KeyPasswordError,
    PayloadError,
    SigningError,
    SigstoreError,
    TrustedRootError,
)
from .keyless import Identity, KeylessPolicy, TrustedRoot, load_trusted_root, parse_trusted_root
from .keys import (
    KeyPair,
    PrivateKey,
    PublicKey,
    generate_key_pair,
    load_private_key,
    load_public_key,
)
from .rekor import LocalLog
from .sign import attach_sbom, attest_image, sign_image
from .verify import (
    AttestationReport,
    CheckedAttestation,
    CheckedSignature,
    CheckOptions,
    RegistryClient,
    SignatureReport,
    VerificationFailure,
    VerificationResult,
    VerificationSuccess,
    check_options,
    fetch_sbom,
    read_attestations,
    verify_attestation_layers,
    verify_attestations,
    verify_image_signatures,
    verify_signature_layers,
)

__all__ = [
    "AttestationReport",
    "CheckOptions",
    "CheckedAttestation",
    "CheckedSignature",
    "Identity",
    "KeyFormatError",
    "KeyPair",
    "KeyPasswordError",
    "KeylessPolicy",
    "LocalLog",
    "PayloadError",
    "PrivateKey",
    "PublicKey",
    "RegistryClient",
    "SignatureReport",
    "SigningError",
    "SigstoreError",
    "TrustedRoot",
    "TrustedRootError",
    "VerificationFailure",
    "VerificationResult",
    "VerificationSuccess",
    "attach_sbom",
    "attest_image",
    "check_options",
    "fetch_sbom",
    "generate_key_pair",
    "load_private_key",
    "load_public_key",
    "load_trusted_root",
    "parse_trusted_root",
    "read_attestations",
    "sign_image",
    "verify_attestation_layers",
    "verify_attestations",
    "verify_image_signatures",
    "verify_signature_layers",
]
