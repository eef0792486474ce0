"""Data made by cosign and by sigstore's staging instance, read by our code.

Vectors in tests/sigstore/data (see its README): a cosign-written encrypted key,
and a real keyless signature with its Rekor SignedEntryTimestamp.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from tests_sigstore_helpers import as_layer

from konflux.engine.sigstore import (
    CheckOptions,
    Identity,
    KeylessPolicy,
    KeyPasswordError,
    parse_trusted_root,
    verify_signature_layers,
)
from konflux.engine.sigstore import cosign_layout as layout
from konflux.engine.sigstore.cosign_layout import Blob
from konflux.engine.sigstore.keys import decrypt_private_key, pem_encode
from konflux.engine.sigstore.rekor import RekorBundle, check_body, verify_set

DATA = Path(__file__).parent / "data"
STAGING_ROOT = DATA / "sigstage_trusted_root.json"


def test_key_written_by_cosign_decrypts():
    pem = (DATA / "cosign_sigstore_key.pem").read_bytes()
    key = decrypt_private_key(pem, b"hello")
    assert key.public.verify(key.sign(b"x"), b"x")
    with pytest.raises(KeyPasswordError):
        decrypt_private_key(pem, b"goodbye")


def _staging():
    bundle = json.loads((DATA / "sigstage_bundle_v3.txt.sigstore").read_bytes())
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    cosign_bundle = RekorBundle(
        base64.b64decode(entry["inclusionPromise"]["signedEntryTimestamp"]),
        entry["canonicalizedBody"],
        int(entry["integratedTime"]),
        int(entry["logIndex"]),
        base64.b64decode(entry["logId"]["keyId"]).hex(),
    )
    cert_pem = pem_encode(
        "CERTIFICATE", base64.b64decode(bundle["verificationMaterial"]["certificate"]["rawBytes"])
    ).decode()
    return (
        cosign_bundle,
        cert_pem,
        bundle["messageSignature"]["signature"],
        parse_trusted_root(STAGING_ROOT.read_bytes(), source="sigstage root"),
    )


def test_real_rekor_set_verifies_and_tampering_breaks_it():
    bundle, cert_pem, sig, root = _staging()
    assert verify_set(bundle, root.rekor_keys) is None
    moved = RekorBundle(
        bundle.signed_entry_timestamp,
        bundle.body,
        bundle.integrated_time,
        bundle.log_index + 1,
        bundle.log_id,
    )
    assert verify_set(moved, root.rekor_keys) == "unable to verify SET"
    artifact = (DATA / "sigstage_bundle_v3.txt").read_bytes()
    assert (
        check_body(bundle, payload=artifact, signature_b64=sig, key_pem=cert_pem.encode()) is None
    )
    assert "matching bundle to payload" in check_body(
        bundle, payload=artifact + b"!", signature_b64="", key_pem=cert_pem.encode()
    )


def test_real_fulcio_certificate_passes_every_step_up_to_the_claim():
    # A cosign layer carrying the real signature, certificate and bundle. The signed bytes
    # are a text file, not a simple-signing payload, so only the final claim check fails:
    # the bundle, the chain to staging Fulcio at the integrated time, the identity and the
    # signature all verified before it.
    bundle, cert_pem, sig, root = _staging()
    layer = as_layer(
        Blob((DATA / "sigstage_bundle_v3.txt").read_bytes(), layout.SIMPLE_SIGNING_MEDIA_TYPE),
        {
            layout.SIGNATURE_ANNOTATION: sig,
            layout.CERTIFICATE_ANNOTATION: cert_pem,
            layout.BUNDLE_ANNOTATION: bundle.to_json(),
        },
    )
    good = CheckOptions(
        keyless=KeylessPolicy(
            root,
            (Identity(subject="william@yossarian.net", issuer="https://github.com/login/oauth"),),
        )
    )
    (checked,) = verify_signature_layers([layer], "sha256:" + "0" * 64, good).checked
    assert checked.result.reason.startswith("signature payload is not JSON")
    assert checked.bundle_verified and checked.signing_time == 1712085549
    assert checked.metadata["Fulcio Issuer"] == "https://github.com/login/oauth"
    wrong = CheckOptions(
        keyless=KeylessPolicy(
            root, (Identity(subject="someone@else.test", issuer="https://github.com/login/oauth"),)
        )
    )
    (checked,) = verify_signature_layers([layer], "sha256:" + "0" * 64, wrong).checked
    assert checked.result.reason.startswith("none of the expected identities")
