"""`validate image` against the real registry: signed, attested images pass; tampering fails."""

from __future__ import annotations

import json

from image_support import LABELS, Publisher, Signer, codes, provenance

from konflux.engine.oci.images import canonical_json
from konflux.engine.output.formats import render


def test_signed_attested_labelled_image_passes(validate, publisher: Publisher, signer: Signer):
    ref = publisher.release_ready("ok/app", signer)
    report = validate(ref)
    assert (report.success, codes(report)) == (True, [])


def test_passing_image_reports_builtin_check_successes(validate, publisher, signer):
    report = validate(publisher.release_ready("ok/checks", signer))
    assert {
        "builtin.image.signature_check",
        "builtin.attestation.signature_check",
        "builtin.attestation.syntax_check",
        "image.required_labels",
    } <= set(codes(report, "successes"))


def test_report_pins_the_image_by_digest(validate, publisher, signer):
    ref = publisher.release_ready("ok/pinned", signer)
    report = validate(str(ref).replace(f"@{ref.digest}", ""))  # by tag
    assert report.targets[0].image == f"{ref.context}@{ref.digest}"


def test_wrong_key_fails_the_signature_check(validate, publisher, signer, other_signer):
    ref = publisher.release_ready("bad/wrongkey", signer)
    report = validate(ref, public_key=other_signer.public_pem)
    by_code = {r.code: r.message for r in report.targets[0].outcome.violations}
    assert by_code["builtin.image.signature_check"].startswith(
        "No image signatures found matching the given public key"
    )


def test_missing_signature_fails(validate, publisher, signer):
    ref = publisher.image("bad/unsigned")
    publisher.attest(ref, signer)
    assert "builtin.image.signature_check" in codes(validate(ref))


def test_missing_attestation_fails_and_skips_the_policy(validate, publisher, signer):
    ref = publisher.image("bad/unattested")
    publisher.sign(ref, signer)
    report = validate(ref)
    assert codes(report) == ["builtin.attestation.signature_check"]


def test_attestation_copied_from_another_image_fails(validate, publisher: Publisher, signer):
    victim = publisher.image("bad/copied", tag="victim")
    publisher.sign(victim, signer)
    donor = publisher.release_ready("bad/copied", signer, tag="donor")
    sync = publisher.sync
    donor_att = sync.run(sync.client.get_manifest(donor.with_tag(_att_tag(donor.digest))))
    sync.run(
        sync.client.put_manifest(
            victim.with_tag(_att_tag(victim.digest)), donor_att.raw, donor_att.media_type
        )
    )
    assert "builtin.attestation.signature_check" in codes(validate(victim))


def _att_tag(digest: str) -> str:
    return digest.replace(":", "-") + ".att"


def test_tag_moved_after_signing_fails(validate, publisher, signer):
    signed = publisher.release_ready("bad/moved", signer)
    publisher.image("bad/moved")  # same tag, new unsigned content
    report = validate(str(signed).split("@")[0])
    assert "builtin.image.signature_check" in codes(report)


def test_untrusted_builder_fails_the_policy(validate, publisher, signer):
    ref = publisher.image("bad/builder")
    publisher.sign(ref, signer)
    publisher.attest(ref, signer, provenance(builder="https://example.com/rogue"))
    assert codes(validate(ref)) == ["image.allowed_builder"]


def test_missing_label_fails_the_policy(validate, publisher, signer):
    ref = publisher.release_ready("bad/label", signer, labels={"name": "app", "version": "1"})
    assert codes(validate(ref)) == ["image.required_labels"]


def test_unreachable_registry_fails_the_access_check(validate):
    report = validate("127.0.0.1:9/nothing/here:v1")
    violation = report.targets[0].outcome.violations[0]
    assert (report.success, violation.code) == (False, "builtin.image.accessible")
    assert violation.message.startswith("Image URL is not accessible: ")


def test_registry_errors_fail_never_pass(validate, publisher, signer, fault_proxy):
    ref = publisher.release_ready("faulty/app", signer)
    fault_proxy.inject("500", path_part="/manifests/sha256-")  # the .sig/.att lookups
    proxied = f"{fault_proxy.host}/faulty/app@{ref.digest}"
    report = validate(proxied)
    assert report.success is False
    assert "builtin.image.signature_check" in codes(report)


def test_snapshot_reports_each_component(validate, publisher, signer):
    good = publisher.release_ready("snap/good", signer)
    bad = publisher.release_ready("snap/bad", signer, labels={"name": "x"})
    report = validate(("good", good), ("bad", bad))
    outcome = {t.name: t.success for t in report.targets}
    assert (report.success, outcome) == (False, {"good": True, "bad": False})


def test_image_index_expands_into_platform_components(validate, publisher, oci, registry):
    ref, build = oci.push_index(registry.ref("multi/app", "v1"), labels=LABELS)
    report = validate(("multi", ref))
    platform_images = {f"{ref.context}@{image.digest}" for _, image in build.images}
    assert platform_images <= {t.image for t in report.targets}
    assert len(report.targets) == 3


def test_parent_image_config_reaches_the_policy_input(validate, publisher, signer):
    base = publisher.image("base/image", labels={"base": "yes"})
    child = publisher.release_ready(
        "child/image",
        signer,
        annotations={
            "org.opencontainers.image.base.name": str(base).split("@")[0],
            "org.opencontainers.image.base.digest": base.digest,
        },
    )
    doc = validate(child).targets[0].policy_input
    assert doc["image"]["parent"] == {
        # as ec: the annotation's name as written (its tag kept), then the digest
        "ref": f"{str(base).split('@')[0]}@{base.digest}",
        "config": {"Labels": {"base": "yes"}},
    }


def test_effective_time_from_attestations(validate, publisher, signer):
    ref = publisher.release_ready("time/app", signer)
    report = validate(ref, effective_time_from_attestations=True)
    assert report.effective_time.isoformat() == "2026-03-01T10:00:00+00:00"


def test_json_report_has_ec_image_shape(validate, publisher, signer):
    report = validate(publisher.release_ready("fmt/json", signer))
    doc = json.loads(render(report, "json"))
    component = doc["components"][0]
    assert list(doc) == ["success", "components", "key", "policy", "ec-version", "effective-time"]
    assert doc["key"].startswith("-----BEGIN PUBLIC KEY-----")
    assert [a["predicateType"] for a in component["attestations"]] == [
        "https://slsa.dev/provenance/v0.2"
    ]
    assert component["signatures"][0]["keyid"] == "" or "sig" in component["signatures"][0]


def test_appstudio_output_counts_checks_and_rules(validate, publisher, signer):
    report = validate(publisher.release_ready("fmt/appstudio", signer))
    doc = json.loads(render(report, "appstudio"))
    assert (doc["result"], doc["failures"], doc["successes"] >= 4) == ("SUCCESS", 0, True)


def test_junit_output_is_xml_with_a_failure_per_violation(validate, publisher, signer):
    from xml.etree import ElementTree as ET

    bad = publisher.release_ready("fmt/junit", signer, labels={})
    text = render(validate(bad), "junit")
    assert text.startswith("<testsuites ")  # no XML declaration, as ec (Go's xml.Marshal)
    root = ET.fromstring(text)
    assert len(root.findall(".//failure")) == 3
    assert root.get("failures") == "3"
    assert root.find("testsuite").get("id") == "0"


def test_policy_input_output_is_the_evaluated_input(validate, publisher, signer):
    ref = publisher.release_ready("fmt/input", signer)
    line = render(validate(ref), "policy-input").strip()
    doc = json.loads(line)
    assert (doc["image"]["ref"], doc["image"]["config"]["Labels"]) == (
        f"{ref.context}@{ref.digest}",
        LABELS,
    )


def test_vsa_output_names_each_image_with_the_verdict(validate, publisher, signer):
    ref = publisher.release_ready("fmt/vsa", signer)
    doc = json.loads(render(validate(ref), "vsa"))
    assert doc["subject"] == [{"name": ref.context, "digest": {"sha256": ref.digest[7:]}}]
    assert doc["predicate"]["verificationResult"] == "PASSED"


def test_canonical_json_is_stable():
    assert canonical_json({"b": 1, "a": 2}) == b'{"a":2,"b":1}'


def test_unknown_predicate_type_fails_the_syntax_check(validate, publisher, signer):
    from konflux.engine.sigstore import attest_image

    ref = publisher.image("bad/predicate")
    publisher.sign(ref, signer)
    publisher.sync.run(
        attest_image(
            publisher.sync.client, ref, signer.key, "https://example.test/made-up/v9", {"x": 1}
        )
    )
    violations = {r.code: r.message for r in validate(ref).targets[0].outcome.violations}
    assert violations["builtin.attestation.syntax_check"] == (
        "Attestation syntax check failed: unknown predicate type 'https://example.test/made-up/v9'"
    )


def test_provenance_breaking_its_schema_fails_the_syntax_check(validate, publisher, signer):
    ref = publisher.image("bad/schema")
    publisher.sign(ref, signer)
    bad = provenance()
    bad["metadata"]["buildFinishedOn"] = "yesterday"
    publisher.attest(ref, signer, bad)
    violations = {r.code: r.message for r in validate(ref).targets[0].outcome.violations}
    assert "predicate/metadata/buildFinishedOn" in violations["builtin.attestation.syntax_check"]
