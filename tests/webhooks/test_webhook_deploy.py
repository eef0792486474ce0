"""deploy/: the CRDs are structural schemas the test objects satisfy; the webhook configurations
name exactly the served endpoints, fail closed, and the overlays point at files that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft4Validator
from webhook_support import application, component

from konflux.controllers.crd_validation import admit
from konflux.webhooks.endpoints import ENDPOINTS

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "deploy" / "crds"
WEBHOOK = ROOT / "deploy" / "webhook"
# kind -> storage version (the version the webhooks are registered for)
KINDS = {
    "application": "v1alpha1",
    "component": "v1alpha1",
    "snapshot": "v1alpha1",
    "integrationtestscenario": "v1beta2",
    "releaseplan": "v1alpha1",
    "releaseplanadmission": "v1alpha1",
    "release": "v1alpha1",
    "componentgroup": "v1beta2",
    "nudgeconfig": "v1beta2",
    "releaseserviceconfig": "v1alpha1",
    "imagerepository": "v1alpha1",
    "internalrequest": "v1alpha1",
}
# Versions served besides the storage one (integration-service's deprecated ones).
OLDER_VERSIONS = {"integrationtestscenario": {"v1alpha1", "v1beta1"}}


def crd(kind: str) -> dict[str, Any]:
    return yaml.safe_load((CRDS / f"{kind}.yaml").read_text())


def _structural(node: dict[str, Any], where: str) -> None:
    """Kubernetes structural schema: every node has a type (or is int-or-string, or preserves
    unknown fields)."""
    assert (
        "type" in node
        or node.get("x-kubernetes-preserve-unknown-fields")
        or node.get("x-kubernetes-int-or-string")
    ), where
    if isinstance(node.get("additionalProperties"), dict):
        _structural(node["additionalProperties"], f"{where}{{}}")
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
    (storage,) = [v for v in spec["versions"] if v["storage"]]
    assert storage["name"] == KINDS[kind] and storage["served"]
    older = {v["name"] for v in spec["versions"] if not v["storage"]}
    assert older == OLDER_VERSIONS.get(kind, set())
    for version in spec["versions"]:
        assert version["served"]
        assert version.get("deprecated", False) == (version["name"] in older)
        schema = version["schema"]["openAPIV3Schema"]
        Draft4Validator.check_schema(schema)
        _structural(schema, kind)
    if older:  # several versions are converted by our webhook service
        service = spec["conversion"]["webhook"]["clientConfig"]["service"]
        assert spec["conversion"]["strategy"] == "Webhook" and service["path"] == "/convert"
        assert spec["conversion"]["webhook"]["conversionReviewVersions"] == ["v1"]


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
            "pipeline": {"pipelineRef": {"resolver": "git", "params": []}},
        },
    },
    "release": {
        "apiVersion": "appstudio.redhat.com/v1alpha1",
        "kind": "Release",
        "metadata": {"name": "r"},
        "spec": {"snapshot": "s", "releasePlan": "p"},
    },
    "componentgroup": {
        "apiVersion": "appstudio.redhat.com/v1beta2",
        "kind": "ComponentGroup",
        "metadata": {"name": "g"},
        "spec": {"components": [{"name": "web", "componentVersion": {"name": "main"}}]},
    },
    "nudgeconfig": {
        "apiVersion": "appstudio.redhat.com/v1beta2",
        "kind": "NudgeConfig",
        "metadata": {"name": "nudge-config"},
        "spec": {"nudges": [{"from": "a", "to": "b"}]},
    },
    "releaseserviceconfig": {
        "apiVersion": "appstudio.redhat.com/v1alpha1",
        "kind": "ReleaseServiceConfig",
        "metadata": {"name": "release-service-config"},
        "spec": {"debug": False},
    },
    "imagerepository": {
        "apiVersion": "appstudio.redhat.com/v1alpha1",
        "kind": "ImageRepository",
        "metadata": {"name": "i"},
        "spec": {"image": {"name": "o/web", "visibility": "public"}},
    },
    "internalrequest": {
        "apiVersion": "appstudio.redhat.com/v1alpha1",
        "kind": "InternalRequest",
        "metadata": {"name": "ir"},
        "spec": {"pipeline": {"pipelineRef": {"resolver": "git", "params": []}}},
    },
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_crd_accepts_sample_and_rejects_wrong_types(kind):
    verdict = admit(SAMPLES[kind])
    assert verdict.allowed, verdict.errors
    bad = {**SAMPLES[kind], "spec": "not-an-object"}
    assert any("spec in body must be of type object" in e for e in admit(bad).errors)


def test_required_fields_follow_upstream():
    rpa = crd("releaseplanadmission")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    app = crd("application")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert app["properties"]["spec"]["required"] == ["displayName"]
    assert set(rpa["properties"]["spec"]["required"]) == {"origin", "policy"}
    rel = crd("release")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert set(rel["properties"]["spec"]["required"]) == {"snapshot", "releasePlan"}


# The operations each upstream webhook is registered for (its kubebuilder marker), DELETE aside:
# defaults on create only for snapshots (integration-service), releases, releaseplanadmissions
# (release-service); releaseplans on update too (the author webhook).
OPERATIONS = {
    **{(kind, "validate"): ["CREATE", "UPDATE"] for kind in KINDS},
    ("component", "mutate"): ["CREATE", "UPDATE"],
    ("snapshot", "mutate"): ["CREATE"],
    ("integrationtestscenario", "mutate"): ["CREATE", "UPDATE"],
    ("releaseplan", "mutate"): ["CREATE", "UPDATE"],
    ("releaseplanadmission", "mutate"): ["CREATE"],
    ("release", "mutate"): ["CREATE"],
}


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
            assert rule["operations"] == OPERATIONS[(endpoint.kind, phase)], path
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


def test_webhook_may_read_what_it_looks_up():
    """Every lookup an endpoint makes is granted to the webhook's service account."""
    docs = list(yaml.safe_load_all((WEBHOOK / "base" / "rbac.yaml").read_text()))
    role = next(d for d in docs if d["kind"] == "ClusterRole")
    granted = {
        (g, r, v)
        for rule in role["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
        for v in rule["verbs"]
    }
    lookups = {lu for endpoint in ENDPOINTS.values() for lu in endpoint.lookups}
    assert {lu.resource.plural for lu in lookups} >= {"componentgroups", "releaseplans"}
    for lookup in lookups:
        assert (lookup.resource.group, lookup.resource.plural, lookup.verb) in granted, lookup


def _columns(kind: str) -> dict[str, str]:
    version = next(v for v in crd(kind)["spec"]["versions"] if v["storage"])
    return {c["name"]: c["jsonPath"] for c in version.get("additionalPrinterColumns", [])}


def _status(kind: str) -> dict[str, Any]:
    version = next(v for v in crd(kind)["spec"]["versions"] if v["storage"])
    return version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]


def test_printer_columns_and_status_as_upstream():
    """release-service's printcolumn markers, application-api's and integration-service's status
    fields (what `kubectl get` shows and what controllers may write)."""
    assert _columns("release") == {
        "Snapshot": ".spec.snapshot",
        "ReleasePlan": ".spec.releasePlan",
        "Release status": '.status.conditions[?(@.type=="Released")].reason',
        "Age": ".metadata.creationTimestamp",
    }
    assert _columns("releaseplan") == {
        "Application": ".spec.application",
        "ComponentGroup": ".spec.componentGroup",
        "Target": ".spec.target",
    }
    assert _columns("integrationtestscenario") == {
        "Application": ".spec.application",
        "ComponentGroup": ".spec.componentGroup",
    }
    assert _columns("imagerepository") == {
        "Image": ".status.image.url",
        "Visibility": ".status.image.visibility",
    }
    assert {"parentSnapshots", "conditions"} <= set(_status("snapshot"))
    assert {"versions", "lastPromotedImage", "lastBuiltCommit"} <= set(_status("component"))
    assert {"managedPipelineAttempts", "managedProcessing", "finalProcessing"} <= set(
        _status("release")
    )
    assert "globalCandidateList" in _status("componentgroup")
