"""What the signer attests passes the release policy (rego/release) through `konflux
validate image`, in both SLSA versions and without special cases; an untrusted task
bundle fails `trusted_task.trusted`; a tenant's own key is not the signer's."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from konflux.cli.main import cli
from konflux.controllers.buildruns import finished_run
from konflux.controllers.chains.config import ChainsConfig
from konflux.controllers.chains.record import record_run
from konflux.controllers.chains.secrets import key_secrets
from konflux.controllers.chains.signing import RunSigner, SigningKey
from konflux.engine.oci import RegistryClient
from konflux.engine.sigstore import generate_key_pair
from konflux.testing._simulate import (
    build_of,
    push_bundles,
    push_component,
    release_policy,
    trusted_tasks,
)

FORMATS = ["slsa/v1", "slsa/v2alpha3", "slsa/v2alpha4"]


def signed_build(
    host: str, fmt: str, untrusted: bool = False, claim_other: bool = False
) -> tuple[dict, str, bytes]:
    """Build, record and sign one component as the signer does: (Snapshot spec, policy JSON,
    the signer's public key). `claim_other`: the pipeline's own results name another image
    (pushed from a laptop) than the one its buildah task built."""
    pair = generate_key_pair(b"")
    key = SigningKey.from_secret(key_secrets("ns", "signing-secrets", pair, b"")[0], "test")

    async def work() -> dict:
        async with RegistryClient() as client:
            bundles = await push_bundles(client, host)
            used = bundles
            if untrusted:
                other = await push_bundles(client, host, repo="someone/tasks")
                used = dict(bundles, **{"build-container": other["build-container"]})
            image, sbom = await push_component(client, host, "api")
            b = build_of("api", image, sbom, used, "api-on-push-1", "d" * 40)
            run, trs = finished_run(b, datetime(2026, 1, 5, tzinfo=UTC), "uid-1")
            if claim_other:
                image, _ = await push_component(client, host, "api", tag="laptop")
                for result in run["status"]["results"]:
                    if result["name"] == "IMAGE_DIGEST":
                        result["value"] = str(image.digest)
            record = record_run(run, trs)
            config = ChainsConfig.from_configmap({"artifacts.pipelinerun.format": fmt})
            await RunSigner(client, key, config).sign(record)
            return {
                "policy": release_policy(pair.public_pem.decode(), trusted_tasks(bundles)),
                "spec": {
                    "application": "app",
                    "components": [
                        {
                            "name": "api",
                            "containerImage": f"{image.context}@{image.digest}",
                            "source": {"git": {"url": b.git_url, "revision": b.commit}},
                        }
                    ],
                },
            }

    out = asyncio.run(work())
    return out["spec"], json.dumps(out["policy"]), pair.public_pem


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
