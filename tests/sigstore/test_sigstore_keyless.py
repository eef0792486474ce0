"""Keyless signatures: our own test CA and Rekor key, certificate chain, identity, time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sigstore_testpki import IDENTITY, ISSUER, T0, make_intermediate, make_leaf, make_root, pem
from sigstore_testpki import trusted_root as trusted_root_json
from tests_sigstore_helpers import as_layer, digest_of

from konflux.engine.sigstore import (
    CheckOptions,
    Identity,
    KeylessPolicy,
    LocalLog,
    TrustedRootError,
    parse_trusted_root,
    verify_attestation_layers,
    verify_signature_layers,
)
from konflux.engine.sigstore.keys import generate_private_key
from konflux.engine.sigstore.payloads import SLSA_PROVENANCE_V02, in_toto_statement
from konflux.engine.sigstore.sign import attestation_layer, signature_layer

REPO = "registry.example.test/team/app"
IMAGE = digest_of("image")

ROOT = make_root()
INTERMEDIATE = make_intermediate(ROOT)
LOG_KEY = generate_private_key()
TRUST = parse_trusted_root(
    trusted_root_json([[INTERMEDIATE.cert, ROOT.cert]], [LOG_KEY]), source="test trusted root"
)
SIGNING_TIME = int((T0 + timedelta(minutes=1)).timestamp())


def keyless(*identities: Identity, ignore_rekor: bool = False, root=TRUST) -> CheckOptions:
    identities = identities or (Identity(subject=IDENTITY, issuer=ISSUER),)
    return CheckOptions(keyless=KeylessPolicy(root, identities), ignore_rekor=ignore_rekor)


def keyless_signature(
    *,
    ca=INTERMEDIATE,
    chain=(INTERMEDIATE, ROOT),
    at=SIGNING_TIME,
    log_key=LOG_KEY,
    identity=IDENTITY,
):
    signer = generate_private_key()  # the ephemeral key Fulcio certifies
    cert = make_leaf(ca, signer, identity=identity)
    return as_layer(
        *signature_layer(
            signer,
            REPO,
            IMAGE,
            certificate_pem=pem(cert),
            chain_pem="".join(c.pem for c in chain),
            log=LocalLog(log_key, at) if log_key else None,
        )
    )


def test_valid_chain_and_identity_verify():
    report = verify_signature_layers([keyless_signature()], IMAGE, keyless())
    assert report.result
    (sig,) = report.verified
    assert sig.bundle_verified and sig.signing_time == SIGNING_TIME
    entity = sig.entity()
    assert entity["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert [c.startswith("-----BEGIN CERTIFICATE-----") for c in entity["chain"]] == [True, True]
    assert len(entity["keyid"]) == 40  # hex subject key id, as ec reports it
    assert entity["metadata"]["Fulcio Issuer"] == ISSUER
    assert entity["metadata"]["Fulcio Issuer (V2)"] == ISSUER
    assert entity["metadata"]["Subject Alternative Name"] == f"URIs:{IDENTITY}"
    assert entity["metadata"]["Not Before"] == "2026-01-01T12:00:00Z"


def test_identity_regexps_match_like_cosign():
    opts = keyless(
        Identity(
            subject_regexp=r"^https://github\.example\.test/org/", issuer_regexp=r"actions\.example"
        )
    )
    assert verify_signature_layers([keyless_signature()], IMAGE, opts).result


def test_email_identity_matches():
    layer = keyless_signature(identity="builder@example.test")
    opts = keyless(Identity(subject="builder@example.test", issuer=ISSUER))
    assert verify_signature_layers([layer], IMAGE, opts).result


def test_wrong_identity_fails():
    opts = keyless(Identity(subject="https://someone.else/workflow", issuer=ISSUER))
    report = verify_signature_layers([keyless_signature()], IMAGE, opts)
    assert report.result.reason == (
        "no matching signatures: none of the expected identities matched what was in the "
        f"certificate, got subjects [{IDENTITY}] with issuer {ISSUER}"
    )


def test_wrong_issuer_fails():
    opts = keyless(Identity(subject=IDENTITY, issuer="https://accounts.other.test"))
    assert (
        "none of the expected identities"
        in verify_signature_layers([keyless_signature()], IMAGE, opts).result.reason
    )


def test_signing_time_outside_certificate_validity_fails():
    late = int((T0 + timedelta(hours=2)).timestamp())
    report = verify_signature_layers([keyless_signature(at=late)], IMAGE, keyless())
    assert report.result.reason == (
        "no matching signatures: certificate expired before observed time: "
        "2026-01-01T12:10:00Z is before 2026-01-01T14:00:00Z"
    )


def test_without_bundle_the_current_time_is_used_and_fails_expired_certs():
    layer = keyless_signature(log_key=None)
    report = verify_signature_layers([layer], IMAGE, keyless(ignore_rekor=True))
    assert "certificate expired before observed time" in report.result.reason
    assert "checked against the current time" in report.result.reason


def test_keyless_without_bundle_needs_ignore_rekor():
    report = verify_signature_layers([keyless_signature(log_key=None)], IMAGE, keyless())
    assert "no Rekor bundle on the signature" in report.result.reason


def test_untrusted_ca_fails():
    rogue_root = make_root("rogue-root")
    rogue = make_intermediate(rogue_root, "rogue-intermediate")
    layer = keyless_signature(ca=rogue, chain=(rogue, rogue_root))
    report = verify_signature_layers([layer], IMAGE, keyless())
    assert "certificate chain verification failed" in report.result.reason
    assert "test trusted root" in report.result.reason


def test_bundle_signed_by_an_untrusted_log_fails():
    layer = keyless_signature(log_key=generate_private_key())
    report = verify_signature_layers([layer], IMAGE, keyless())
    assert "rekor log public key not found" in report.result.reason


def test_keyless_attestation_verifies():
    signer = generate_private_key()
    cert = make_leaf(INTERMEDIATE, signer)
    stmt = in_toto_statement(
        SLSA_PROVENANCE_V02,
        {"builder": {"id": "https://builder.test"}, "buildType": "t"},
        REPO,
        IMAGE,
    )
    layer = as_layer(
        *attestation_layer(
            signer,
            stmt,
            certificate_pem=pem(cert),
            chain_pem=INTERMEDIATE.pem + ROOT.pem,
            log=LocalLog(LOG_KEY, SIGNING_TIME),
        )
    )
    report = verify_attestation_layers([layer], IMAGE, keyless())
    assert report.result and report.syntax_result
    assert report.inputs()[0]["signatures"][0]["metadata"]["Fulcio Issuer"] == ISSUER


def test_keyless_needs_identity_and_issuer():
    with pytest.raises(TrustedRootError, match="certificate-identity"):
        CheckOptions(keyless=KeylessPolicy(TRUST, ()))
    with pytest.raises(TrustedRootError, match="certificate-oidc-issuer"):
        CheckOptions(keyless=KeylessPolicy(TRUST, (Identity(subject=IDENTITY),)))


def test_malformed_trusted_root_is_a_clear_error():
    with pytest.raises(TrustedRootError, match=r"bad\.json: not JSON"):
        parse_trusted_root("{", source="bad.json")
    with pytest.raises(TrustedRootError, match="no certificate authorities"):
        parse_trusted_root("{}", source="empty.json")


def test_shipped_sigstore_root_loads():
    from konflux.engine.sigstore import load_trusted_root

    root = load_trusted_root()
    assert root.certificate_authorities and root.rekor_keys


def test_check_options_from_flag_values(tmp_path):
    from konflux.engine.sigstore import check_options

    root_file = tmp_path / "root.json"
    root_file.write_text(trusted_root_json([[INTERMEDIATE.cert, ROOT.cert]], [LOG_KEY]))
    opts = check_options(
        certificate_identity=IDENTITY, certificate_oidc_issuer=ISSUER, trusted_root=str(root_file)
    )
    assert verify_signature_layers([keyless_signature()], IMAGE, opts).result
    opts = check_options(
        certificate_identity_regexp="^nobody$",
        certificate_oidc_issuer=ISSUER,
        trusted_root=str(root_file),
    )
    assert not verify_signature_layers([keyless_signature()], IMAGE, opts).result
    with pytest.raises(TrustedRootError, match="cannot read trusted root"):
        check_options(
            certificate_identity=IDENTITY,
            certificate_oidc_issuer=ISSUER,
            trusted_root=str(tmp_path / "missing.json"),
        )
    keyed = check_options(public_key=generate_private_key().public.pem, ignore_rekor=True)
    assert keyed.public_key is not None and keyed.log_keys == ()
