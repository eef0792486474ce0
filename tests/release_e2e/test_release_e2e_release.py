"""A complete Konflux build passes the default release policies, through the library and the CLI.

The build is real: images, a Clair report blob and a source image pushed to
the registry, task bundles pushed and trusted with `konflux policy
track-task`, the image signed and attested (SLSA v1 provenance, CycloneDX
SBOM) with `konflux sign` / `konflux attest`.
"""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner
from release_e2e_support import (
    ROOT,
    Build,
    ReleaseWorld,
    Vulnerability,
    codes,
)

from konflux.cli.validate_image import validate_image
from konflux.controllers.crd_validation import admit
from konflux.engine.policy.files import load_paths
from konflux.engine.rules import rules_of


def _collection(name: str) -> set[str]:
    """Codes of the library's rules in a collection, from their annotations."""
    modules = [
        m
        for m in load_paths([ROOT / "rego" / "release"]).modules
        if not m.path.endswith("_test.rego")
    ]
    return {code for code, rule in rules_of(modules).items() if name in rule.collections}


def test_complete_build_passes_the_konflux_policy(release_world: ReleaseWorld):
    published = release_world.publish(Build())
    report = release_world.validate(published.component)
    assert report.success
    assert (codes(report), codes(report, "warnings")) == (set(), set())
    # Every rule of the collection ran and passed, after the three builtin checks.
    assert codes(report, "successes") == _collection("konflux") | {
        "builtin.image.signature_check",
        "builtin.attestation.signature_check",
        "builtin.attestation.syntax_check",
    }


def test_complete_build_passes_the_minimal_and_slsa3_policies(release_world: ReleaseWorld):
    component = release_world.publish(Build()).component
    for name in ("minimal", "slsa3"):
        report = release_world.validate(component, policy=release_world.policy(name))
        assert (name, codes(report), codes(report, "warnings")) == (name, set(), set())
        assert "release.tasks.successful_pipeline_tasks" in codes(report, "successes")


def test_track_task_recorded_each_bundle_by_digest(release_world: ReleaseWorld):
    data = yaml.safe_load((release_world.trusted_data / "trusted_tasks.yml").read_text())
    records = data["rule_data"]["trusted_tasks"]
    assert {
        f"oci://{bundle.split('@')[0]}": bundle.split("@")[1]
        for bundle in release_world.bundles.values()
    } == {key: entries[0]["ref"] for key, entries in records.items()}


def _two_tracked_versions(release_world: ReleaseWorld, repository: str):
    """Push and track a bundle, then push and track its next version (same tag, same second)."""
    old = release_world.push_bundle(f"konflux-ci/tekton-catalog/{repository}", "run-tests")
    release_world.track(old)
    new = release_world.push_bundle(f"konflux-ci/tekton-catalog/{repository}", "run-tests")
    assert release_world.track(new).endswith("(added)")
    return old, new


def test_superseded_trusted_bundle_only_warns(release_world: ReleaseWorld):
    old, _ = _two_tracked_versions(release_world, "task-run-tests-next")
    build = Build(bundles={"run-tests": f"{old.context}:{old.tag}@{old.digest}"})
    report = release_world.validate(release_world.publish(build).component)
    assert report.success
    assert codes(report, "warnings") == {"release.trusted_task.current"}


def test_newest_tracked_bundle_is_current(release_world: ReleaseWorld):
    _, new = _two_tracked_versions(release_world, "task-run-tests-newest")
    build = Build(bundles={"run-tests": f"{new.context}:{new.tag}@{new.digest}"})
    report = release_world.validate(release_world.publish(build).component)
    assert (report.success, codes(report, "warnings")) == (True, set())


def test_medium_cve_only_warns(release_world: ReleaseWorld):
    medium = Vulnerability("CVE-2026-0002", "medium", "1.2.4")
    report = release_world.validate(
        release_world.publish(Build(vulnerabilities=[medium])).component
    )
    assert report.success
    assert codes(report, "warnings") == {"release.cve.cve_warnings"}


def _cli(release_world: ReleaseWorld, image: str, *extra: str):
    key = release_world.workdir / "cosign.pub"
    return CliRunner().invoke(
        validate_image,
        [
            "--image", image,
            "--policy", str(release_world.policy_file()),
            "--public-key", str(key),
            "--ignore-rekor",
            "--output", "json",
            *extra,
        ],
    )  # fmt: skip


def test_validate_image_command_passes_the_complete_build(release_world: ReleaseWorld):
    published = release_world.publish(Build())
    result = _cli(release_world, str(published.ref))  # by tag: the report pins the digest
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["success"] is True
    assert [c["containerImage"] for c in doc["components"]] == [published.component.container_image]


def test_validate_image_command_fails_a_critical_cve(release_world: ReleaseWorld):
    critical = Vulnerability("CVE-2026-0003", "critical", "2.0.1")
    published = release_world.publish(Build(vulnerabilities=[critical]))
    result = _cli(release_world, published.component.container_image)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["success"] is False
    violations = doc["components"][0]["violations"]
    assert [(v["metadata"]["code"], v["metadata"]["term"]) for v in violations] == [
        ("release.cve.cve_blockers", "CVE-2026-0003")
    ]


def test_released_snapshot_is_an_upstream_snapshot(release_world: ReleaseWorld):
    """The Snapshot the release validates, written as the custom resource integration-service
    makes, is accepted by the Snapshot CRD (application-api's schema) unchanged: nothing pruned,
    nothing refused; and the policy it is released under is a valid EnterpriseContractPolicy."""
    published = release_world.publish(Build())
    snapshot = {
        "apiVersion": "appstudio.redhat.com/v1alpha1",
        "kind": "Snapshot",
        "metadata": {"name": "konflux-e2e", "namespace": "tenant"},
        "spec": {"application": "konflux-e2e", "components": [published.component.to_spec()]},
    }
    verdict = admit(snapshot)
    assert verdict.allowed and verdict.warnings == [], (verdict.errors, verdict.warnings)
    assert verdict.obj["spec"] == snapshot["spec"]
    policy = yaml.safe_load(release_world.policy_file().read_text())
    assert policy["kind"] == "EnterpriseContractPolicy"
    verdict = admit({**policy, "metadata": {"name": "konflux", "namespace": "managed"}})
    assert verdict.allowed, verdict.errors
