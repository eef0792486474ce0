"""The EnterpriseContractPolicy spec JSON Schema and the CRD must describe the same spec."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "engine" / "policy" / "ecp_spec.schema.json"
CRD_PATH = ROOT / "deploy" / "crds" / "enterprisecontractpolicy.yaml"

# Keywords that constrain values and so must match between the two schemas.
CONSTRAINT_KEYWORDS = ("type", "format", "pattern", "minItems", "minLength")

DIGEST = "sha256:" + "a" * 64

FULL_SPEC: dict[str, Any] = {
    "name": "release-policy",
    "description": "Rules applied to release candidates",
    "publicKey": "k8s://tekton-chains/public-key",
    "rekorUrl": "https://rekor.sigstore.dev",
    "identity": {
        "subject": "https://github.com/org/repo/.github/workflows/release.yaml@refs/heads/main",
        "subjectRegExp": "^https://github.com/org/.*$",
        "issuer": "https://token.actions.githubusercontent.com",
        "issuerRegExp": "^https://token\\.actions\\..*$",
    },
    "configuration": {
        "collections": ["minimal"],
        "include": ["@slsa3"],
        "exclude": ["test.no_skipped_tests"],
    },
    "sources": [
        {
            "name": "Release policies",
            "policy": ["oci::quay.io/enterprise-contract/ec-release-policy:latest"],
            "data": [
                "oci::quay.io/konflux-ci/tekton-catalog/data-acceptable-bundles:latest",
                "github.com/release-engineering/rhtap-ec-policy//data",
            ],
            "ruleData": {"allowed_registry_prefixes": ["quay.io/"], "nested": {"n": 1}},
            "config": {"include": ["@redhat"], "exclude": ["cve.deprecated_cve_result_name"]},
            "volatileConfig": {
                "include": [{"value": "tasks.required_tasks_found:prefetch-dependencies"}],
                "exclude": [
                    {
                        "value": "test.no_failed_tests",
                        "effectiveOn": "2024-01-01T00:00:00Z",
                        "effectiveUntil": "2024-12-31T23:59:59Z",
                        "imageRef": DIGEST,
                        "imageUrl": "quay.io/org/repo",
                        "imageDigest": DIGEST,
                        "componentNames": ["frontend", "backend"],
                        "reference": "https://issues.example.com/browse/PROJ-1",
                    }
                ],
            },
        }
    ],
}


@pytest.fixture(scope="module")
def json_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def crd() -> dict[str, Any]:
    return yaml.safe_load(CRD_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def crd_spec_schema(crd: dict[str, Any]) -> dict[str, Any]:
    (version,) = crd["spec"]["versions"]
    return version["schema"]["openAPIV3Schema"]["properties"]["spec"]


@pytest.fixture(scope="module")
def validator(json_schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(json_schema)


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow local ``#/...`` references in the JSON Schema (the CRD has none)."""
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local references are expected, got {ref}"
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def _walk(
    schema_node: dict[str, Any], crd_node: dict[str, Any], root: dict[str, Any], path: str = "spec"
) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Yield (path, json-schema node, CRD node) for each pair describing the same value."""
    schema_node = _resolve(schema_node, root)
    yield path, schema_node, crd_node
    schema_props = schema_node.get("properties", {})
    crd_props = crd_node.get("properties", {})
    for name in sorted(schema_props.keys() & crd_props.keys()):
        yield from _walk(schema_props[name], crd_props[name], root, f"{path}.{name}")
    if "items" in schema_node and "items" in crd_node:
        yield from _walk(schema_node["items"], crd_node["items"], root, f"{path}[]")


def _crd_nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _crd_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _crd_nodes(value)


def test_json_schema_is_a_valid_draft_2020_12_schema(json_schema):
    Draft202012Validator.check_schema(json_schema)


def test_crd_names_the_enterprise_contract_policy_kind(crd):
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["kind"] == "CustomResourceDefinition"
    assert crd["metadata"]["name"] == "enterprisecontractpolicies.appstudio.redhat.com"
    assert crd["spec"]["group"] == "appstudio.redhat.com"
    names = crd["spec"]["names"]
    assert names["kind"] == "EnterpriseContractPolicy"
    assert names["plural"] == "enterprisecontractpolicies"
    assert names["shortNames"] == ["ecp"]


def test_crd_serves_and_stores_v1alpha1_with_status_subresource(crd):
    (version,) = crd["spec"]["versions"]
    assert version["name"] == "v1alpha1"
    assert version["served"] is True
    assert version["storage"] is True
    assert version["subresources"] == {"status": {}}


def test_walk_reaches_the_deepest_level(json_schema, crd_spec_schema):
    paths = {path for path, _, _ in _walk(json_schema, crd_spec_schema, json_schema)}
    assert "spec.sources[].volatileConfig.exclude[].componentNames[]" in paths
    assert "spec.identity.issuerRegExp" in paths


def test_property_names_agree_at_every_level(json_schema, crd_spec_schema):
    for path, schema_node, crd_node in _walk(json_schema, crd_spec_schema, json_schema):
        schema_names = set(schema_node.get("properties", {}))
        crd_names = set(crd_node.get("properties", {}))
        assert schema_names == crd_names, path


def test_required_lists_agree_at_every_level(json_schema, crd_spec_schema):
    for path, schema_node, crd_node in _walk(json_schema, crd_spec_schema, json_schema):
        assert sorted(schema_node.get("required", [])) == sorted(crd_node.get("required", [])), path


def test_items_presence_agrees_at_every_level(json_schema, crd_spec_schema):
    for path, schema_node, crd_node in _walk(json_schema, crd_spec_schema, json_schema):
        assert ("items" in schema_node) == ("items" in crd_node), path


def test_value_constraints_agree_at_every_level(json_schema, crd_spec_schema):
    for path, schema_node, crd_node in _walk(json_schema, crd_spec_schema, json_schema):
        for keyword in CONSTRAINT_KEYWORDS:
            assert schema_node.get(keyword) == crd_node.get(keyword), f"{path}: {keyword}"


def test_json_schema_objects_reject_unknown_keys_except_rule_data(json_schema, crd_spec_schema):
    for path, schema_node, _ in _walk(json_schema, crd_spec_schema, json_schema):
        if schema_node.get("type") != "object":
            continue
        expected = path != "spec.sources[].ruleData"
        assert (schema_node.get("additionalProperties", True) is False) == expected, path


def test_crd_rule_data_preserves_unknown_fields(crd_spec_schema):
    rule_data = crd_spec_schema["properties"]["sources"]["items"]["properties"]["ruleData"]
    assert rule_data["type"] == "object"
    assert rule_data["x-kubernetes-preserve-unknown-fields"] is True


def test_crd_schema_uses_no_keywords_outside_the_openapi_subset(crd):
    forbidden = {"$ref", "$defs", "$schema", "$id", "additionalProperties"}
    (version,) = crd["spec"]["versions"]
    for node in _crd_nodes(version["schema"]["openAPIV3Schema"]):
        assert not forbidden & node.keys()


def test_accepts_full_example_spec(validator):
    assert list(validator.iter_errors(FULL_SPEC)) == []


def test_rejects_source_policy_that_is_not_a_list(validator):
    spec = copy.deepcopy(FULL_SPEC)
    spec["sources"][0]["policy"] = "oci::quay.io/enterprise-contract/ec-release-policy:latest"
    assert not validator.is_valid(spec)


def test_rejects_unknown_top_level_key(validator):
    spec = copy.deepcopy(FULL_SPEC)
    spec["unexpected"] = True
    assert not validator.is_valid(spec)


def test_rejects_volatile_config_entry_without_value(validator):
    spec = copy.deepcopy(FULL_SPEC)
    del spec["sources"][0]["volatileConfig"]["exclude"][0]["value"]
    assert not validator.is_valid(spec)
