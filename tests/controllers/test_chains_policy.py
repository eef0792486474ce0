"""What the signer attests passes the release policy (rego/release) through `konflux
validate image`, in both SLSA versions and without special cases; an untrusted task
bundle fails `trusted_task.trusted`; a tenant's own key is not the signer's."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from konflux.cli.main import cli
from konflux.engine.sigstore import generate_key_pair
from konflux.testing import signed_build as kit_signed_build
from konflux.testing._simulate import release_policy

FORMATS = ["slsa/v1", "slsa/v2alpha3", "slsa/v2alpha4"]


def signed_build(
    host: str, fmt: str, untrusted: bool = False, claim_other: bool = False
) -> tuple[dict, str, bytes]:
    """One component built, recorded and signed as the signer does (konflux.testing's kit):
    (Snapshot spec, the release policy JSON trusting its tasks, the signer's public key)."""
    build = asyncio.run(
        kit_signed_build(host, fmt, tag="v1", untrusted=untrusted, claim_other=claim_other)
    )
    policy = release_policy(build.public_pem.decode(), build.trusted_tasks)
    return build.snapshot(), json.dumps(policy), build.public_pem


def validate(tmp_path: Path, spec: dict, policy: str, key: bytes | None = None) -> dict:
    images = tmp_path / "images.json"
    images.write_text(json.dumps(spec))
    args = ["validate", "image", "--images", str(images), "--policy", policy, "--ignore-rekor"]
    if key is not None:
        (tmp_path / "k.pub").write_bytes(key)
        args += ["--public-key", str(tmp_path / "k.pub")]
    result = CliRunner().invoke(cli, [*args, "--no-strict", "-o", "json?show-successes=true"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def codes(report: dict) -> set[str]:
    return {
        v["metadata"]["code"] for comp in report["components"] for v in comp.get("violations") or []
    }


def successes(report: dict) -> set[str]:
    return {s["metadata"]["code"] for comp in report["components"] for s in comp["successes"]}


# Every rule of the packages the release relies on that must run on a build's provenance.
RELIED_ON = {
    "release.trusted_task.trusted",
    "release.trusted_task.current",
    "release.tasks.required_tasks_found",
    "release.tasks.successful_pipeline_tasks",
    "release.tasks.pinned_task_refs",
    "release.test.test_data_found",
    "release.test.no_failed_tests",
    "release.sbom.found",
    "release.sbom.valid_purls",
    "release.attestation_type.known_attestation_type",
    "release.attestation_type.pipelinerun_attestation_found",
    "release.buildah_build_task.buildah_uses_local_dockerfile",
    "release.slsa_build_build_service.slsa_builder_id_accepted",
    "release.slsa_build_scripted_build.image_built_by_trusted_task",
    "release.slsa_build_scripted_build.subject_build_task_matches",
    "release.slsa_provenance_available.attestation_predicate_type_accepted",
    "release.slsa_source_correlated.attested_source_code_reference",
    "release.slsa_source_version_controlled.material_commit_pinned",
    "release.provenance_materials.git_clone_source_matches_provenance",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_release_policy_passes_what_the_signer_attests(registry, tmp_path, fmt):
    spec, policy, _ = signed_build(registry.host, fmt)
    report = validate(tmp_path, spec, policy)  # the policy's publicKey: the signer's
    assert codes(report) == set()
    assert report["success"] is True
    assert successes(report) >= RELIED_ON, sorted(RELIED_ON - successes(report))


def test_both_slsa_versions_pass_the_same_rules(registry, tmp_path):
    reports = [
        validate(tmp_path, *signed_build(registry.host, fmt)[:2])
        for fmt in ("slsa/v1", "slsa/v2alpha3")
    ]
    assert successes(reports[0]) == successes(reports[1])
    assert all(not [w for c in r["components"] for w in c.get("warnings") or []] for r in reports)


@pytest.mark.parametrize("fmt", FORMATS[:2])
def test_an_untrusted_task_bundle_is_signed_and_refused_by_trusted_task(registry, tmp_path, fmt):
    spec, policy, _ = signed_build(registry.host, fmt, untrusted=True)
    report = validate(tmp_path, spec, policy)
    assert report["success"] is False
    assert "release.trusted_task.trusted" in codes(report)
    # It was signed and attested by the signer: only the task is the problem.
    assert not {c for c in codes(report) if c.startswith("builtin.")}


def test_the_signers_attestation_does_not_verify_with_another_key(registry, tmp_path):
    spec, policy, _ = signed_build(registry.host, "slsa/v1")
    report = validate(tmp_path, spec, policy, key=generate_key_pair(b"").public_pem)
    assert {"builtin.image.signature_check", "builtin.attestation.signature_check"} <= codes(report)


@pytest.mark.parametrize("fmt", FORMATS[:2])
def test_a_pipeline_result_naming_an_image_no_trusted_task_built_is_refused(
    registry, tmp_path, fmt
):
    """The tenant's Pipeline declares its own results: here they name an image pushed from
    a laptop. The signer signs what the run recorded (it records, it does not judge); the
    provenance shows the trusted buildah task built another digest, so the release fails."""
    spec, policy, _ = signed_build(registry.host, fmt, claim_other=True)
    report = validate(tmp_path, spec, policy)
    assert report["success"] is False
    assert {
        "release.slsa_build_scripted_build.image_built_by_build_task",
        "release.slsa_build_scripted_build.subject_build_task_matches",
    } <= codes(report)
    assert not {c for c in codes(report) if c.startswith("builtin.")}
