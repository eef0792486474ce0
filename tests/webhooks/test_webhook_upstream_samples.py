"""Every public upstream sample (../shared/upstream-samples, see its SOURCES.md) is accepted.

Each object goes the way the API server takes a create: pruned and defaulted by
its CRD (deploy/crds), through our mutating webhook (the JSON patch applied),
validated by the CRD's schema and CEL rules, then through our validating webhook
(all over real HTTPS, lookups answered by a kmock API), and is then stored so
that the samples after it see it; a sample naming an object an earlier one made is
applied as `kubectl apply` would: an update, checked the same way. Samples whose
references live outside the
sample set get those objects first, the way upstream's envtest suites create an
Application before its scenarios: they are listed in PREREQUISITES.
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
import yaml

from konflux.controllers.crd_validation import admit, crd_for
from konflux.webhooks.endpoints import ENDPOINTS

# shared/ lies beside the repository (the clone CI runs, and the developers' work trees).
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "upstream-samples"

# Objects the samples name without defining, as (namespace, kind, name).
PREREQUISITES = [
    ("integration-sample-v2", "Application", "sample-application"),
    ("integration-sample-cg", "ComponentGroup", "sample-component-group"),
    ("user-ns2", "Application", "test-component"),
    *[("default", "Component", f"component-{x}") for x in "abcde"],  # nudgeconfig
]
# Applied first: the kinds others refer to (GitOps tools order them the same way).
ORDER = [
    "Application",
    "ComponentGroup",
    "Component",
    "ReleaseServiceConfig",
    "EnterpriseContractPolicy",
    "ImageRepository",
    "ReleasePlanAdmission",
    "ReleasePlan",
    "Snapshot",
    "IntegrationTestScenario",
    "NudgeConfig",
    "Release",
]


def sample_objects() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(SAMPLES.glob("*.yaml")):
        for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
            if isinstance(doc, dict) and doc.get("kind") not in (None, "Namespace"):
                found.append((f"{path.name}#{i}:{doc['kind']}", doc))
    return sorted(found, key=lambda item: (ORDER.index(item[1]["kind"]), item[0]))


def prerequisite(namespace: str, kind: str, name: str) -> dict[str, Any]:
    specs = {
        "Application": ("v1alpha1", {"displayName": name}),
        "ComponentGroup": (
            "v1beta2",
            {"components": [{"name": "c", "componentVersion": {"name": "main"}}]},
        ),
        "Component": (
            "v1alpha1",
            {
                "componentName": name,
                "application": "application-sample",
                "source": {"git": {"url": f"https://github.com/org/{name}"}},
            },
        ),
    }
    version, spec = specs[kind]
    return {
        "apiVersion": f"appstudio.redhat.com/{version}",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


class ApiServer:
    """The create path of an API server, with our CRDs and our admission webhooks."""

    def __init__(self, webhook, cluster):
        self.webhook, self.cluster = webhook, cluster
        self.stored: dict[tuple[str, str, str], dict[str, Any]] = {}

    def _review(
        self, obj: dict[str, Any], namespace: str, old: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        group, _, version = obj["apiVersion"].rpartition("/")
        plural = crd_for(obj).plural
        return {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": str(uuid.uuid4()),
                "operation": "UPDATE" if old else "CREATE",
                "namespace": namespace,
                "name": obj["metadata"].get("name", ""),
                "kind": {"group": group, "version": version, "kind": obj["kind"]},
                "resource": {"group": group, "version": version, "resource": plural},
                "userInfo": {"username": "gitops-sa", "groups": ["system:authenticated"]},
                "object": obj,
                "oldObject": old,
                "dryRun": False,
            },
        }

    def _call(
        self, path: str, obj: dict[str, Any], namespace: str, old: dict[str, Any] | None
    ) -> dict[str, Any]:
        status, doc = self.webhook.post(path, self._review(obj, namespace, old))
        assert status == 200, doc
        return doc["response"]

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The stored object, or an AssertionError naming the stage that refused it."""
        obj = copy.deepcopy(obj)
        namespace = obj["metadata"].setdefault("namespace", "default")
        kind = obj["kind"].lower()
        key = (namespace, obj["kind"], obj["metadata"].get("name", ""))
        old = self.stored.get(key)
        if old is not None:  # kubectl apply of an existing object: identity and status stay
            for field in ("uid", "resourceVersion", "ownerReferences"):
                if field in old["metadata"]:
                    obj["metadata"].setdefault(field, old["metadata"][field])
        obj = admit(obj, old).obj  # decode: pruning and schema defaults
        if f"/mutate-{kind}" in ENDPOINTS:
            response = self._call(f"/mutate-{kind}", obj, namespace, old)
            assert response["allowed"], f"mutating webhook: {response.get('status')}"
            if "patch" in response:
                obj = jsonpatch.apply_patch(obj, json.loads(base64.b64decode(response["patch"])))
        verdict = admit(obj, old)
        assert verdict.allowed, f"CRD schema: {verdict.errors}"
        if f"/validate-{kind}" in ENDPOINTS:
            response = self._call(f"/validate-{kind}", verdict.obj, namespace, old)
            assert response["allowed"], f"validating webhook: {response.get('status')}"
        stored = verdict.obj
        meta = stored["metadata"]
        meta.setdefault("name", meta.get("generateName", "x-") + uuid.uuid4().hex[:5])
        meta.setdefault("uid", str(uuid.uuid4()))
        if old is None:  # the webhook's lookups read from the kmock API
            self.cluster.create(crd_for(stored).plural, stored)
        self.stored[(namespace, stored["kind"], meta["name"])] = stored
        return stored


@pytest.fixture(scope="module")
def api(webhook, cluster):
    server = ApiServer(webhook, cluster)
    for namespace, kind, name in PREREQUISITES:
        server.apply(prerequisite(namespace, kind, name))
    return server


SAMPLE_OBJECTS = sample_objects()


def test_every_sample_file_is_covered():
    files = {path.name for path in SAMPLES.glob("*.yaml")}
    assert files and files == {key.split("#")[0] for key, _ in SAMPLE_OBJECTS}


@pytest.mark.parametrize(("sample", "obj"), SAMPLE_OBJECTS, ids=[k for k, _ in SAMPLE_OBJECTS])
def test_upstream_sample_is_accepted(api, sample, obj):
    stored = api.apply(obj)
    assert stored["kind"] == obj["kind"]
    if obj["kind"] == "IntegrationTestScenario":
        # the mutating webhook did what integration-service's does
        (owner,) = stored["metadata"]["ownerReferences"]
        assert owner["kind"] in ("Application", "ComponentGroup")
        assert stored["spec"]["resolverRef"]["resourceKind"] == "pipeline"
    if obj["kind"] == "ReleasePlan":
        assert stored["spec"]["releaseGracePeriodDays"] == 7  # the CRD default
    if obj["kind"] == "ReleasePlanAdmission":
        assert stored["metadata"]["labels"]["release.appstudio.openshift.io/block-releases"]
