"""deploy/: the CRDs are structural schemas the test objects satisfy; the webhook configurations
name exactly the served endpoints, fail closed, and the overlays point at files that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft4Validator
from webhook_support import application, component

from konflux.webhooks.endpoints import ENDPOINTS

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "deploy" / "crds"
WEBHOOK = ROOT / "deploy" / "webhook"
KINDS = {
    "application": "v1alpha1",
    "component": "v1alpha1",
    "snapshot": "v1alpha1",
    "integrationtestscenario": "v1beta2",
    "releaseplan": "v1alpha1",
    "releaseplanadmission": "v1alpha1",
    "release": "v1alpha1",
}


def crd(kind: str) -> dict[str, Any]:
    return yaml.safe_load((CRDS / f"{kind}.yaml").read_text())


def _structural(node: dict[str, Any], where: str) -> None:
    """Kubernetes structural schema: every node has a type (or preserves unknown fields)."""
    assert "type" in node or node.get("x-kubernetes-preserve-unknown-fields"), where
    for name, child in (node.get("properties") or {}).items():
        _structural(child, f"{where}.{name}")
    if "items" in node:
        _structural(node["items"], f"{where}[]")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_crd_shape(kind):
    doc = crd(kind)
    assert doc["apiVersion"] == "apiextensions.k8s.io/v1"
    spec = doc["spec"]
    assert spec["group"] == "appstudio.redhat.com" and spec["scope"] == "Namespaced"
    assert doc["metadata"]["name"] == f"{spec['names']['plural']}.appstudio.redhat.com"
    assert spec["names"]["kind"].lower() == kind
    (version,) = spec["versions"]
    assert version["name"] == KINDS[kind] and version["served"] and version["storage"]
    schema = version["schema"]["openAPIV3Schema"]
    Draft4Validator.check_schema(schema)
    _structural(schema, kind)


SAMPLES = {
    "application": application("app", "u"),
    "component": component("web", ["api"]),
    "snapshot": {
        "apiVersion": "appstudio.redhat.com/v1alpha1",
        "kind": "Snapshot",
        "metadata": {"name": "s"},
        "spec": {
            "application": "app",
            "components": [{"name": "web", "containerImage": "quay.io/o/web@sha256:" + "a" * 64}],
        },
    },
    "integrationtestscenario": {
        "apiVersion": "appstudio.redhat.com/v1beta2",
        "kind": "IntegrationTestScenario",
        "metadata": {"name": "t"},
        "spec": {
            "application": "app",
            "resolverRef": {
                "resolver": "git",
                "params": [{"name": "url", "value": "https://g/o/r"}],
            },
        },
    },
    "releaseplan": {
        "apiVersion": "appstudio.redhat.com/v1alpha1",
        "kind": "ReleasePlan",
        "metadata": {"name": "p"},
        "spec": {"application": "app", "target": "managed", "data": {"x": 1}},
    },
    "releaseplanadmission": {
        "apiVersion": "appstudio.redhat.com/v1alpha1",
        "kind": "ReleasePlanAdmission",
        "metadata": {"name": "r"},
        "spec": {
            "applications": ["app"],
            "origin": "tenant",
            "policy": "ecp",
            "pipeline": {"pipelineRef": {}},
        },
    },
    "release": {
        "apiVersion": "appstudio.redhat.com/v1alpha1",
        "kind": "Release",
        "metadata": {"name": "r"},
        "spec": {"snapshot": "s", "releasePlan": "p"},
    },
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_crd_accepts_sample_and_rejects_wrong_types(kind):
    schema = crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    Draft4Validator(schema).validate(SAMPLES[kind])
    bad = {**SAMPLES[kind], "spec": "not-an-object"}
    assert list(Draft4Validator(schema).iter_errors(bad))


def test_required_fields_follow_upstream():
    rpa = crd("releaseplanadmission")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert set(rpa["properties"]["spec"]["required"]) == {"origin", "policy"}
    rel = crd("release")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert set(rel["properties"]["spec"]["required"]) == {"snapshot", "releasePlan"}


def test_webhook_configurations_match_endpoints():
    docs = list(yaml.safe_load_all((WEBHOOK / "base" / "webhooks.yaml").read_text()))
    by_kind = {d["kind"]: d for d in docs}
    paths = set()
    for kind, phase in (
        ("ValidatingWebhookConfiguration", "validate"),
        ("MutatingWebhookConfiguration", "mutate"),
    ):
        for hook in by_kind[kind]["webhooks"]:
            path = hook["clientConfig"]["service"]["path"]
            assert ENDPOINTS[path].phase == phase
            assert hook["failurePolicy"] == "Fail" and hook["sideEffects"] == "None"
            assert hook["admissionReviewVersions"] == ["v1"]
            assert 1 <= hook["timeoutSeconds"] <= 30
            assert hook["namespaceSelector"]["matchExpressions"]
            (rule,) = hook["rules"]
            endpoint = ENDPOINTS[path]
            assert rule["resources"] == [crd(endpoint.kind)["spec"]["names"]["plural"]]
            assert rule["apiVersions"] == [KINDS[endpoint.kind]]
            paths.add(path)
    assert paths == set(ENDPOINTS)


def test_kustomizations_reference_existing_files():
    for kustomization in [*WEBHOOK.rglob("kustomization.yaml"), CRDS / "kustomization.yaml"]:
        doc = yaml.safe_load(kustomization.read_text())
        for resource in doc.get("resources", []):
            assert (kustomization.parent / resource).exists(), (kustomization, resource)
        for patch in doc.get("patches", []):
            if "path" in patch:
                assert (kustomization.parent / patch["path"]).exists()


def test_deployment_serves_with_probes_and_timeout_below_webhook_timeout():
    deployment = yaml.safe_load((WEBHOOK / "base" / "deployment.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][:2] == ["webhook", "serve"]
    timeout = float(next(a for a in container["args"] if a.startswith("--timeout=")).split("=")[1])
    docs = yaml.safe_load_all((WEBHOOK / "base" / "webhooks.yaml").read_text())
    assert all(timeout < h["timeoutSeconds"] for d in docs for h in d["webhooks"])
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
