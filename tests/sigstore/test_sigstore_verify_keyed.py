"""Key-based verification of signatures and attestations, and Rekor bundles, offline."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest
from tests_sigstore_helpers import as_layer, digest_of, with_content

from konflux.engine.sigstore import (
    CheckOptions,
    LocalLog,
    TrustedRootError,
    VerificationFailure,
    VerificationSuccess,
    verify_attestation_layers,
    verify_signature_layers,
)
from konflux.engine.sigstore import cosign_layout as layout
from konflux.engine.sigstore.keys import generate_private_key
from konflux.engine.sigstore.payloads import (
    CYCLONEDX,
    SLSA_PROVENANCE_V02,
    SLSA_PROVENANCE_V1,
    STATEMENT_V1,
    in_toto_statement,
)
from konflux.engine.sigstore.rekor import parse_bundle
from konflux.engine.sigstore.sign import attestation_layer, signature_layer

REPO = "registry.example.test/team/app"
IMAGE = digest_of("image")
OTHER = digest_of("another image")
SLSA02 = {
    "builder": {"id": "https://tekton.dev/chains/v2"},
    "buildType": "tekton.dev/v1beta1/TaskRun",
    "invocation": {},
}

KEY = generate_private_key()
LOG_KEY = generate_private_key()


def opts(**kw):
    return CheckOptions(public_key=kw.pop("public_key", KEY.public), **kw)


def sig_layer(digest=IMAGE, key=KEY, **kw):
    return as_layer(*signature_layer(key, REPO, digest, **kw))


def att_layer(statement=None, key=KEY, **kw):
    statement = statement or in_toto_statement(SLSA_PROVENANCE_V02, SLSA02, REPO, IMAGE)
    return as_layer(*attestation_layer(key, statement, **kw))


# ---------------------------------------------------------------- simple signatures


def test_signature_round_trip():
    report = verify_signature_layers([sig_layer()], IMAGE, opts())
    assert report.result == VerificationSuccess()
    (checked,) = report.verified
    payload = json.loads(checked.payload)
    assert payload["critical"] == {
        "identity": {"docker-reference": REPO},
        "image": {"docker-manifest-digest": IMAGE},
        "type": "cosign container image signature",
    }
    assert report.entities() == [{"keyid": "", "sig": checked.sig}]
    assert KEY.public.verify(base64.b64decode(checked.sig), checked.payload)


def test_signature_layer_has_cosign_media_type_and_annotation():
    lay, _ = sig_layer()
    assert lay.media_type == "application/vnd.dev.cosign.simplesigning.v1+json"
    assert set(lay.annotations) == {"dev.cosignproject.cosign/signature"}


def test_wrong_key_fails_with_every_reason():
    report = verify_signature_layers(
        [sig_layer()], IMAGE, opts(public_key=generate_private_key().public)
    )
    assert report.result == VerificationFailure(
        "no matching signatures: invalid signature when validating ASN.1 encoded signature"
    )
    assert report.entities() == []


def test_altered_payload_bytes_fail_the_signature():
    layer = sig_layer()
    tampered = with_content(layer, layer[1].replace(b"cosign container", b"cosign-container"))
    report = verify_signature_layers([tampered], IMAGE, opts())
    assert not report.result
    assert "invalid signature" in report.result.reason


def test_payload_not_matching_layer_digest_is_a_corrupt_blob():
    layer = sig_layer()
    truncated = with_content(layer, layer[1][:-5], rehash=False)
    report = verify_signature_layers([truncated], IMAGE, opts())
    assert "does not match its digest" in report.result.reason
    assert "truncated or corrupted blob" in report.result.reason


def test_signature_for_another_image_digest_fails():
    report = verify_signature_layers([sig_layer(digest=OTHER)], IMAGE, opts())
    assert report.result == VerificationFailure(
        f"no matching signatures: invalid or missing digest in claim: {OTHER}"
    )


def test_one_good_signature_among_bad_ones_passes():
    bad = sig_layer(key=generate_private_key())
    report = verify_signature_layers([bad, sig_layer()], IMAGE, opts())
    assert report.result
    assert len(report.verified) == 1 and len(report.checked) == 2


def test_no_signatures_is_a_failure():
    report = verify_signature_layers([], IMAGE, opts())
    assert report.result == VerificationFailure("no signatures found")
    assert report.builtin_result() == {
        "success": False,
        "signatures": [],
        "errors": ["verify image signature: no signatures found"],
    }


def test_builtin_results_carry_verified_material():
    sigs = verify_signature_layers([sig_layer()], IMAGE, opts())
    assert sigs.builtin_result() == {
        "success": True,
        "errors": [],
        "signatures": [
            {
                "keyid": "",
                "signature": sigs.verified[0].sig,
                "certificate": "",
                "chain": [],
                "metadata": {},
            }
        ],
    }
    atts = verify_attestation_layers([att_layer()], IMAGE, opts())
    value = atts.builtin_result()
    assert value["success"] and value["errors"] == []
    assert value["attestations"][0]["statement"]["predicateType"] == SLSA_PROVENANCE_V02
    assert value["attestations"][0]["signatures"] == [
        {
            "keyid": "",
            "signature": atts.verified[0].envelope.signatures[0].sig,
            "certificate": "",
            "chain": [],
            "metadata": {},
        }
    ]


def test_missing_signature_annotation_is_named():
    lay, data = sig_layer()
    lay = replace(lay, annotations={})
    report = verify_signature_layers([(lay, data)], IMAGE, opts())
    assert "has no dev.cosignproject.cosign/signature annotation" in report.result.reason


def test_options_need_exactly_one_trust_source():
    with pytest.raises(TrustedRootError, match="exactly one"):
        CheckOptions()


# ---------------------------------------------------------------- Rekor bundles


def test_rekor_bundle_is_verified_against_the_log_key():
    layer = sig_layer(log=LocalLog(LOG_KEY, 1_767_268_800))
    report = verify_signature_layers([layer], IMAGE, opts(rekor_keys=(LOG_KEY.public,)))
    assert report.result
    assert report.verified[0].bundle_verified
    assert report.verified[0].signing_time == 1_767_268_800


def test_tampered_bundle_fails_the_set():
    lay, data = sig_layer(log=LocalLog(LOG_KEY, 1_767_268_800))
    bundle = json.loads(lay.bundle_json)
    bundle["Payload"]["integratedTime"] += 1
    lay = replace(
        lay, annotations={**lay.annotations, layout.BUNDLE_ANNOTATION: json.dumps(bundle)}
    )
    report = verify_signature_layers([(lay, data)], IMAGE, opts(rekor_keys=(LOG_KEY.public,)))
    assert report.result == VerificationFailure(
        "no matching signatures: error verifying bundle: unable to verify SET"
    )


def test_bundle_from_an_unknown_log_fails():
    layer = sig_layer(log=LocalLog(generate_private_key(), 1_767_268_800))
    report = verify_signature_layers([layer], IMAGE, opts(rekor_keys=(LOG_KEY.public,)))
    assert "rekor log public key not found" in report.result.reason


def test_bundle_without_configured_log_keys_fails():
    layer = sig_layer(log=LocalLog(LOG_KEY, 1_767_268_800))
    report = verify_signature_layers([layer], IMAGE, opts())
    assert "no trusted rekor public keys provided" in report.result.reason


def test_bundle_about_another_signature_fails():
    # A genuine, log-signed bundle moved onto a different signature of the same key.
    donor, _ = sig_layer(digest=OTHER, log=LocalLog(LOG_KEY, 1_767_268_800))
    lay, data = sig_layer()
    lay = replace(lay, annotations={**lay.annotations, layout.BUNDLE_ANNOTATION: donor.bundle_json})
    report = verify_signature_layers([(lay, data)], IMAGE, opts(rekor_keys=(LOG_KEY.public,)))
    assert "signature in bundle does not match signature being verified" in report.result.reason


def test_ignore_rekor_skips_bundles():
    lay, data = sig_layer(log=LocalLog(generate_private_key(), 1))
    report = verify_signature_layers([(lay, data)], IMAGE, opts(ignore_rekor=True))
    assert report.result and not report.verified[0].bundle_verified


def test_require_rekor_fails_signatures_without_bundle():
    report = verify_signature_layers(
        [sig_layer()], IMAGE, opts(rekor_keys=(LOG_KEY.public,), require_rekor=True)
    )
    assert "no Rekor bundle on the signature" in report.result.reason


def test_bundle_json_is_cosign_shaped():
    lay, _ = sig_layer(log=LocalLog(LOG_KEY, 5))
    doc = json.loads(lay.bundle_json)
    assert list(doc) == ["SignedEntryTimestamp", "Payload"]
    assert list(doc["Payload"]) == ["body", "integratedTime", "logIndex", "logID"]
    entry = parse_bundle(lay.bundle_json).entry()
    assert entry["kind"] == "hashedrekord"
    assert entry["spec"]["signature"]["content"] == lay.signature_b64


# ---------------------------------------------------------------- attestations


def test_attestation_round_trip():
    layer = att_layer()
    assert layer[0].media_type == "application/vnd.dsse.envelope.v1+json"
    assert layer[0].annotations == {
        "dev.cosignproject.cosign/signature": "",
        "predicateType": SLSA_PROVENANCE_V02,
    }
    report = verify_attestation_layers([layer], IMAGE, opts())
    assert report.result and report.syntax_result
    (att,) = report.verified
    assert att.statement["_type"] == "https://in-toto.io/Statement/v0.1"
    assert att.statement["subject"] == [{"name": REPO, "digest": {"sha256": IMAGE[7:]}}]
    envelope = json.loads(layer[1])
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    assert report.inputs() == [
        {
            "statement": att.statement,
            "signatures": [{"keyid": "", "sig": envelope["signatures"][0]["sig"]}],
        }
    ]


def test_attestation_with_wrong_key_fails():
    report = verify_attestation_layers([att_layer(key=generate_private_key())], IMAGE, opts())
    assert report.result == VerificationFailure(
        "no matching attestations: accepted signatures do not match threshold, Found: 0, Expected 1"
    )


def test_attestation_with_altered_statement_fails():
    layer = att_layer()
    env = json.loads(layer[1])
    statement = json.loads(base64.b64decode(env["payload"]))
    statement["predicate"]["builder"]["id"] = "https://evil.example.test"
    env["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    report = verify_attestation_layers(
        [with_content(layer, json.dumps(env).encode())], IMAGE, opts()
    )
    assert "accepted signatures do not match threshold" in report.result.reason


def test_attestation_subject_of_another_image_fails():
    stmt = in_toto_statement(SLSA_PROVENANCE_V02, SLSA02, REPO, OTHER)
    report = verify_attestation_layers([att_layer(stmt)], IMAGE, opts())
    assert report.result == VerificationFailure(
        "no matching attestations: no matching subject digest found"
    )


def test_unknown_predicate_type_is_flagged_by_the_syntax_check():
    stmt = in_toto_statement("https://example.test/made-up/v9", {"x": 1}, REPO, IMAGE)
    report = verify_attestation_layers([att_layer(stmt)], IMAGE, opts())
    assert report.result  # the signature is fine ...
    assert report.syntax_result == VerificationFailure(  # ... the content is not known
        "unknown predicate type 'https://example.test/made-up/v9'"
    )
    assert report.syntax_check(accept_unknown_types=True)


@pytest.mark.parametrize(
    ("ptype", "predicate", "problem"),
    [
        (SLSA_PROVENANCE_V02, {"buildType": "x"}, "builder.id"),
        (
            SLSA_PROVENANCE_V1,
            {"buildDefinition": {"buildType": "x", "externalParameters": {}}},
            "runDetails.builder.id",
        ),
        (CYCLONEDX, {"bomFormat": "SPDX", "specVersion": "1.5"}, "bomFormat"),
    ],
)
def test_known_predicates_are_checked_for_required_fields(ptype, predicate, problem):
    stmt = in_toto_statement(ptype, predicate, REPO, IMAGE)
    report = verify_attestation_layers([att_layer(stmt)], IMAGE, opts())
    assert report.result
    assert problem in report.syntax_result.reason
    assert not report.syntax_check(accept_unknown_types=True)


def test_statement_v1_is_validated_with_in_toto_attestation():
    good = {
        "_type": STATEMENT_V1,
        "subject": [{"name": REPO, "digest": {"sha256": IMAGE[7:]}}],
        "predicateType": SLSA_PROVENANCE_V1,
        "predicate": {
            "buildDefinition": {"buildType": "b", "externalParameters": {"a": 1}},
            "runDetails": {"builder": {"id": "https://builder.test"}},
        },
    }
    report = verify_attestation_layers([att_layer(good)], IMAGE, opts())
    assert report.result and report.syntax_result
    no_digest = {**good, "subject": [{"name": REPO, "digest": {}}]}
    report = verify_attestation_layers([att_layer(no_digest)], IMAGE, opts())
    assert "invalid in-toto Statement v1" in report.result.reason


def test_attestation_with_rekor_bundle_verifies():
    layer = att_layer(log=LocalLog(LOG_KEY, 1_767_268_800))
    entry = parse_bundle(layer[0].bundle_json).entry()
    assert (entry["kind"], entry["apiVersion"]) == ("intoto", "0.0.2")
    report = verify_attestation_layers([layer], IMAGE, opts(rekor_keys=(LOG_KEY.public,)))
    assert report.result and report.verified[0].bundle_verified


def test_non_dsse_layer_is_malformed_attestation_data():
    lay, data = att_layer()
    report = verify_attestation_layers(
        [(replace(lay, media_type="text/plain"), data)], IMAGE, opts()
    )
    assert "expecting media type of `application/vnd.dsse.envelope.v1+json`" in (
        report.result.reason
    )


def test_no_attestations_is_a_failure():
    report = verify_attestation_layers([], IMAGE, opts())
    assert report.result == VerificationFailure("no matching attestations: no attestations found")
    assert report.syntax_result == VerificationFailure("no attestation data")
