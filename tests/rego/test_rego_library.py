"""The rego/ policy library: its own Rego tests, its conventions, and the
default policies in deploy/policies run over image-shaped inputs."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from rego_inputs import REPO, image_input, task_results, trusted_tasks

from konflux.engine import (
    Outcome,
    PolicyEvaluator,
    Settings,
    load_policy,
    run_tests,
    validate_inputs,
)
from konflux.engine.policy.files import load_paths
from konflux.engine.rules import rules_of
from konflux.engine.validate import InputDocument
from konflux.kube.names import names_document

ROOT = Path(__file__).resolve().parents[2]
REGO = ROOT / "rego"
LIBRARY_DIRS = ("release", "pipeline", "task")
COLLECTIONS = {"minimal", "slsa3", "konflux", "policy_data"}
# A Monday, after every record in rego/data took effect.
AT = datetime(2026, 1, 5, 12, tzinfo=UTC)


# --- the Rego test suite ------------------------------------------------------


def test_rego_suite_passes_with_coverage_above_threshold():
    report = run_tests([REGO], coverage=True, documents=[names_document()])
    failing = [f"{r.case.package}.{r.case.name}" for r in report.results if r.status != "PASS"]
    assert failing == []
    assert len(report.results) >= 200
    assert report.coverage is not None
    assert report.coverage["coverage"] >= 95.0


def test_rego_suite_runs_beside_the_example_policy():
    report = run_tests([REGO, ROOT / "examples" / "rego"], documents=[names_document()])
    assert report.success
    packages = {r.case.package for r in report.results}
    assert "labels_test" in packages  # the example's tests of `package labels`
    assert "release.labels_test" in packages  # ours


# --- conventions ----------------------------------------------------------------


def _library_modules():
    return [
        m
        for m in load_paths([REGO / d for d in LIBRARY_DIRS]).modules
        if not m.path.endswith("_test.rego")
    ]


def test_every_rule_file_has_a_test_file_beside_it():
    for module in _library_modules():
        path = Path(module.path)
        assert path.with_name(path.stem + "_test.rego").is_file(), module.path


def test_every_rule_is_fully_annotated():
    rules = rules_of(_library_modules())
    assert len(rules) >= 80
    for code, rule in rules.items():
        assert code == f"{rule.package}.{rule.short_name}"
        assert rule.title and rule.description and rule.solution and rule.failure_msg, code
        assert rule.collections and set(rule.collections) <= COLLECTIONS, code


def test_every_package_reading_rule_data_validates_it():
    rules = rules_of(_library_modules())
    by_package: dict[str, set[str]] = {}
    for rule in rules.values():
        by_package.setdefault(rule.package, set()).add(rule.short_name)
    for module in _library_modules():
        source = Path(module.path).read_text()
        if "lib.rule_data(" in source:
            assert "rule_data_provided" in by_package[module.package], module.path
            assert rules[f"{module.package}.rule_data_provided"].collections[0] == "policy_data"


# --- deploy/policies over image inputs --------------------------------------------


def _policy(name: str, tmp_path: Path, **rule_data: Any):
    """deploy/policies/NAME.yaml with absolute paths, plus a data source that
    trusts the build's task bundles (as `konflux policy track-task` would)."""
    resource = yaml.safe_load((ROOT / "deploy" / "policies" / f"{name}.yaml").read_text())
    trusted = tmp_path / "trusted"
    trusted.mkdir(exist_ok=True)
    (trusted / "trusted_tasks.yml").write_text(
        yaml.safe_dump({"rule_data": {"trusted_tasks": trusted_tasks()}})
    )
    for source in resource["spec"]["sources"]:
        source["policy"] = [str(ROOT / p) for p in source["policy"]]
        source["data"] = [str(ROOT / p) for p in source["data"]] + [str(trusted)]
        if rule_data:
            source["ruleData"] = rule_data
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(resource))
    return load_policy(str(path))


def _validate(evaluator: PolicyEvaluator, doc: dict[str, Any]) -> Outcome:
    """What `validate input` reports for one document (same evaluator, same post-processing)."""
    return evaluator.evaluate(doc)


def _codes(results) -> set[str]:
    return {r.code for r in results}


@pytest.fixture(scope="module")
def policies(tmp_path_factory) -> Iterator[dict[str, PolicyEvaluator]]:
    """One evaluator per default policy, shared by the module (loading compiles the library)."""
    tmp = tmp_path_factory.mktemp("policies")
    evaluators = {
        name: PolicyEvaluator(_policy(name, tmp), Settings(effective_time=AT))
        for name in ("minimal", "slsa3", "konflux")
    }
    yield evaluators
    for evaluator in evaluators.values():
        evaluator.close()


@pytest.mark.parametrize("slsa", ["v1", "v02"])
@pytest.mark.parametrize("name", ["minimal", "slsa3"])
def test_complete_build_passes(policies, name, slsa):
    outcome = _validate(policies[name], image_input(slsa=slsa))
    assert outcome.violations == []
    assert outcome.warnings == []
    assert len(outcome.successes) > 5


def test_konflux_policy_needs_the_scan_report_from_the_registry(policies):
    # validate input has no registry client: ec.oci.blob is undefined, so the
    # CVE report cannot be read, and that must fail rather than pass.
    outcome = _validate(policies["konflux"], image_input())
    assert _codes(outcome.violations) == {"release.cve.cve_report_readable"}
    assert outcome.warnings == []
    assert len(outcome.successes) > 60


def _without(results: dict, task: str) -> dict:
    return {k: v for k, v in results.items() if k != task}


MUTATIONS = {
    "failed test": (
        {"results": {**task_results(), "run-tests": {"TEST_OUTPUT": '{"result": "FAILURE"}'}}},
        "release.test.no_failed_tests",
    ),
    "failed task": ({"failed": "run-tests"}, "release.tasks.successful_pipeline_tasks"),
    "missing required task": (
        {"results": _without(task_results(), "clair-scan")},
        "release.tasks.required_tasks_found",
    ),
    "missing label": (
        {"labels": {"name": "app", "version": "1", "summary": "s", "description": "d"}},
        "release.labels.required_labels",
    ),
    "disallowed base image registry": (
        {"base_repo": "docker.io/library/alpine"},
        "release.base_image_registries.base_image_permitted",
    ),
    "no source image": (
        {"results": _without(task_results(), "source-build")},
        "release.source_image.exists",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_konflux_policy_catches_a_single_mutation(policies, mutation):
    kwargs, code = MUTATIONS[mutation]
    outcome = _validate(policies["konflux"], image_input(**kwargs))
    assert code in _codes(outcome.violations)


@pytest.mark.parametrize("slsa", ["v1", "v02"])
def test_untrusted_build_task_bundle_fails_slsa3(policies, slsa):
    outcome = _validate(policies["slsa3"], image_input(slsa=slsa, untrusted="buildah"))
    assert _codes(outcome.violations) == {
        "release.trusted_task.trusted",
        "release.slsa_build_scripted_build.image_built_by_trusted_task",
    }


def test_non_git_material_fails_slsa3(policies):
    doc = copy.deepcopy(image_input(slsa="v02"))
    material = doc["attestations"][0]["statement"]["predicate"]["materials"][0]
    material["uri"] = "https://example.com/app.tar.gz"
    outcome = _validate(policies["slsa3"], doc)
    assert "release.slsa_source_version_controlled.material_is_git" in _codes(outcome.violations)
    # Nothing else attests the source: the expected source cannot be correlated,
    # and the cloned repository is not among the materials.
    assert {
        "release.slsa_source_correlated.attested_source_code_reference",
        "release.provenance_materials.git_clone_source_matches_provenance",
    } <= _codes(outcome.violations)


def test_wrong_expected_source_fails_slsa3(policies):
    doc = image_input()
    doc["image"]["source"] = {"git": {"url": REPO, "revision": "0" * 40}}
    outcome = _validate(policies["slsa3"], doc)
    assert _codes(outcome.violations) == {
        "release.slsa_source_correlated.expected_source_code_reference"
    }


def test_bad_rule_data_is_reported_by_policy_data_rules(tmp_path):
    policy = _policy("minimal", tmp_path, allowed_predicate_types="https://slsa.dev/provenance/v1")
    report = validate_inputs(
        policy, [InputDocument("image.json", image_input())], Settings(effective_time=AT)
    )
    outcome = report.targets[0].outcome
    assert "release.slsa_provenance_available.rule_data_provided" in _codes(outcome.violations)
