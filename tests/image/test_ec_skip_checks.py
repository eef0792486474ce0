"""`--skip-image-sig-check` / `--skip-att-sig-check`: what `ec` skips, and what it says."""

from __future__ import annotations

import json

from click.testing import CliRunner
from image_support import ROOT

from konflux.cli.main import cli

POLICY = json.dumps(
    {
        "sources": [
            {
                "policy": [str(ROOT / "examples/rego/image"), str(ROOT / "examples/rego/lib")],
                "ruleData": {
                    "required_labels": ["name"],
                    "allowed_builder_ids": ["https://tekton.dev/chains/v2"],
                },
            }
        ]
    }
)


def run(tmp_path, signer, *args: str):
    key = tmp_path / "known.pub"
    key.write_text(signer.public_pem)
    return CliRunner().invoke(
        cli,
        ["validate", "image", "--policy", POLICY, "--public-key", str(key), "--show-successes",
         "--ignore-rekor", "-o", "json", *args],
    )  # fmt: skip


def codes(doc: dict, kind: str) -> list[str]:
    return [r["metadata"]["code"] for r in doc["components"][0].get(kind, [])]


def test_an_attestation_signed_by_another_key_fails_without_the_skip(
    tmp_path, publisher, signer, other_signer
):
    ref = publisher.image("skip/att")
    publisher.sign(ref, signer)
    publisher.attest(ref, other_signer)
    result = run(tmp_path, signer, "--image", str(ref))
    assert result.exit_code == 1
    assert "builtin.attestation.signature_check" in codes(json.loads(result.stdout), "violations")


def test_skip_att_sig_check_reads_the_attestation_unverified_and_warns(
    tmp_path, publisher, signer, other_signer
):
    ref = publisher.image("skip/att2")
    publisher.sign(ref, signer)
    publisher.attest(ref, other_signer)
    result = run(tmp_path, signer, "--image", str(ref), "--skip-att-sig-check")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    successes = codes(doc, "successes")
    assert "builtin.attestation.signature_check" not in successes
    assert {"builtin.image.signature_check", "builtin.attestation.syntax_check"} <= set(successes)
    assert doc["components"][0]["attestations"][0]["predicateType"].endswith("provenance/v0.2")
    assert (
        "Attestation signature check skipped, fetching attestations without verification"
        in result.stderr
    )


def test_both_skips_warn_that_nothing_is_verified(tmp_path, publisher, signer, other_signer):
    ref = publisher.image("skip/both")
    publisher.sign(ref, other_signer)
    publisher.attest(ref, other_signer)
    result = run(
        tmp_path, signer, "--image", str(ref), "--skip-att-sig-check", "--skip-image-sig-check"
    )
    assert result.exit_code == 0, result.output
    assert "Image signature check skipped" in result.stderr
    assert "all cryptographic verification is disabled" in result.stderr
    successes = codes(json.loads(result.stdout), "successes")
    assert "builtin.image.signature_check" not in successes


def test_skip_att_sig_check_still_needs_attestations(tmp_path, publisher, signer):
    ref = publisher.image("skip/noatt")
    publisher.sign(ref, signer)
    result = run(tmp_path, signer, "--image", str(ref), "--skip-att-sig-check")
    assert result.exit_code == 1
    violations = json.loads(result.stdout)["components"][0]["violations"]
    assert any("No attestations" in v["msg"] or "attestation" in v["msg"] for v in violations)
