"""Every admission rule through real HTTPS: allowed and denied, and each mutation's patch applied.

The webhook runs against a kmock Kubernetes API holding Application `app`
(uid `uid-app`) and Components b -> c -> d (build-nudges-ref) in `tenant`.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import jsonpatch
import pytest
from webhook_support import APPSTUDIO, NAMESPACE, component, review

V1BETA2 = "appstudio.redhat.com/v1beta2"


def answer(webhook, path: str, body: dict[str, Any]) -> dict[str, Any]:
    status, doc = webhook.post(path, body)
    assert status == 200, doc
    response = doc["response"]
    assert response["uid"] == body["request"]["uid"]
    assert doc["apiVersion"] == "admission.k8s.io/v1" and doc["kind"] == "AdmissionReview"
    return response


def allowed(webhook, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = answer(webhook, path, body)
    assert response["allowed"] is True, response.get("status")
    return response


def denied(webhook, path: str, body: dict[str, Any], *fragments: str) -> str:
    response = answer(webhook, path, body)
    assert response["allowed"] is False
    assert response["status"]["code"] == 403
    message = response["status"]["message"]
    for fragment in fragments:
        assert fragment in message
    assert "patch" not in response
    return message


def mutated(webhook, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Apply the returned JSONPatch to the request object and return the result."""
    response = allowed(webhook, path, body)
    obj = copy.deepcopy(body["request"]["object"])
    if "patch" not in response:
        return obj
    assert response["patchType"] == "JSONPatch"
    ops = json.loads(base64.b64decode(response["patch"]))
    return jsonpatch.apply_patch(obj, ops)


def app_obj(name: str, display: str | None = "App") -> dict[str, Any]:
    spec = {"displayName": display} if display is not None else {}
    return {
        "apiVersion": APPSTUDIO,
        "kind": "Application",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": spec,
    }


# Application ------------------------------------------------------------------------------


def test_application_valid(webhook):
    allowed(webhook, "/validate-application", review(app_obj("my-app")))


@pytest.mark.parametrize("name", ["My-App", "1app", "app-", "a" * 64, "a.b"])
def test_application_name_dns1035(webhook, name):
    denied(
        webhook,
        "/validate-application",
        review(app_obj(name)),
        "DNS-1035",
        "application.name_dns1035",
    )


def test_application_display_name(webhook):
    denied(webhook, "/validate-application", review(app_obj("a", None)), "spec.displayName")


# Component --------------------------------------------------------------------------------


def test_component_valid_and_owner_reference(webhook):
    comp = component("web")
    allowed(webhook, "/validate-component", review(comp))
    out = mutated(webhook, "/mutate-component", review(comp))
    assert out["metadata"]["ownerReferences"] == [
        {"apiVersion": APPSTUDIO, "kind": "Application", "name": "app", "uid": "uid-app"}
    ]
    # applying the defaults again changes nothing (the reference is there)
    response = allowed(webhook, "/mutate-component", review(out))
    assert "patch" not in response


def test_component_owner_reference_appended(webhook):
    comp = component("web")
    comp["metadata"]["ownerReferences"] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "uid-x"}
    ]
    out = mutated(webhook, "/mutate-component", review(comp))
    assert [r["uid"] for r in out["metadata"]["ownerReferences"]] == ["uid-x", "uid-app"]


def test_component_name(webhook):
    denied(webhook, "/validate-component", review(component("Web_1")), "component.name_dns1035")


def test_component_source_required(webhook):
    comp = component("web")
    del comp["spec"]["source"]
    denied(webhook, "/validate-component", review(comp), "spec.source.git.url")


def test_component_source_url_form(webhook):
    comp = component("web")
    comp["spec"]["source"] = {"url": "https://gitlab.example/org/web"}
    allowed(webhook, "/validate-component", review(comp))


@pytest.mark.parametrize("url", ["git@github.com:o/r.git", "ssh://github.com/o/r", "/tmp/r"])
def test_component_source_must_be_http(webhook, url):
    comp = component("web")
    comp["spec"]["source"]["git"]["url"] = url
    denied(webhook, "/validate-component", review(comp), "absolute http", url)


def test_component_git_url_immutable(webhook):
    old = component("web")
    new = copy.deepcopy(old)
    new["spec"]["source"]["git"]["url"] = "https://github.com/org/elsewhere"
    denied(
        webhook,
        "/validate-component",
        review(new, operation="UPDATE", old=old),
        "cannot be changed",
    )
    new = copy.deepcopy(old)
    new["metadata"]["labels"] = {"x": "y"}
    allowed(webhook, "/validate-component", review(new, operation="UPDATE", old=old))


def test_component_application_must_exist(webhook):
    denied(
        webhook,
        "/validate-component",
        review(component("web", app="ghost")),
        'Application "ghost" does not exist',
    )
    response = allowed(webhook, "/mutate-component", review(component("web", app="ghost")))
    assert "patch" not in response


def test_component_nudge_cycle_through_cluster(webhook):
    # d (stored, nudges nothing) updated to nudge b: b -> c -> d -> b
    old = component("d", [])
    new = component("d", ["b"])
    denied(
        webhook, "/validate-component", review(new, operation="UPDATE", old=old), "forms a cycle"
    )
    # a new Component nudging b is fine: nothing nudges it back
    allowed(webhook, "/validate-component", review(component("e", ["b"])))
    # self-nudge
    denied(webhook, "/validate-component", review(component("f", ["f"])), "cycle")


def test_component_lookups_without_cluster_deny(lonely_webhook):
    message = denied(
        lonely_webhook,
        "/validate-component",
        review(component("web")),
        "cannot verify that Application",
        "no Kubernetes API configured",
    )
    assert "component.application_exists" in message
    # rules that need no lookup still decide normally
    allowed(lonely_webhook, "/validate-application", review(app_obj("my-app")))


# Snapshot ---------------------------------------------------------------------------------


def snapshot(
    name: str, components: list[dict[str, str]], labels: dict[str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": NAMESPACE}
    if labels is not None:
        meta["labels"] = labels
    return {
        "apiVersion": APPSTUDIO,
        "kind": "Snapshot",
        "metadata": meta,
        "spec": {"application": "app", "components": components},
    }


ONE = [{"name": "web", "containerImage": "quay.io/o/web@sha256:" + "a" * 64}]


def test_snapshot_valid_and_name_length(webhook):
    allowed(webhook, "/validate-snapshot", review(snapshot("s" * 63, ONE)))
    denied(webhook, "/validate-snapshot", review(snapshot("s" * 64, ONE)), "63")


def test_snapshot_components_immutable(webhook):
    old = snapshot("s", ONE)
    api = {"name": "api", "containerImage": "quay.io/o/api@sha256:" + "b" * 64}
    new = snapshot("s", [*ONE, api])
    denied(
        webhook,
        "/validate-snapshot",
        review(new, operation="UPDATE", old=old),
        "spec.components cannot be changed",
    )
    allowed(
        webhook,
        "/validate-snapshot",
        review(snapshot("s", ONE, {"a": "b"}), operation="UPDATE", old=old),
    )


@pytest.mark.parametrize(
    "labels", [None, {"team": "x"}, {"appstudio.openshift.io/application": "old"}]
)
def test_snapshot_application_label(webhook, labels):
    out = mutated(webhook, "/mutate-snapshot", review(snapshot("s", ONE, labels)))
    assert out["metadata"]["labels"]["appstudio.openshift.io/application"] == "app"
    if labels and "team" in labels:
        assert out["metadata"]["labels"]["team"] == "x"


# IntegrationTestScenario ------------------------------------------------------------------


def scenario(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": V1BETA2,
        "kind": "IntegrationTestScenario",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": spec,
    }


def git_spec(git_params: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    return {"application": "app", "resolverRef": {"resolver": "git", "params": git_params}, **extra}


URL = [
    {"name": "url", "value": "https://github.com/org/tests"},
    {"name": "revision", "value": "main"},
    {"name": "pathInRepo", "value": "p.yaml"},
]


def test_its_valid(webhook):
    allowed(webhook, "/validate-integrationtestscenario", review(scenario("t", git_spec(URL))))
    repo_org = [{"name": "repo", "value": "tests"}, {"name": "org", "value": "org"}]
    allowed(webhook, "/validate-integrationtestscenario", review(scenario("t", git_spec(repo_org))))


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({}, "exactly one of spec.application or spec.componentGroup"),
        ({"application": "a", "componentGroup": "g"}, "not both"),
        (git_spec(URL, params=[{"name": "SNAPSHOT", "value": "x"}]), "SNAPSHOT"),
        (git_spec([*URL, {"name": "org", "value": "o"}]), "either url or repo with org"),
        (git_spec([{"name": "repo", "value": "r"}]), "org is missing"),
        (git_spec([{"name": "url", "value": "http://github.com/org/tests"}]), "https://"),
    ],
)
def test_its_denied(webhook, spec, fragment):
    denied(webhook, "/validate-integrationtestscenario", review(scenario("t", spec)), fragment)


def test_its_name(webhook):
    denied(
        webhook,
        "/validate-integrationtestscenario",
        review(scenario("T", git_spec(URL))),
        "integrationtestscenario.name_dns1035",
    )


def test_its_owner_reference(webhook):
    out = mutated(webhook, "/mutate-integrationtestscenario", review(scenario("t", git_spec(URL))))
    assert out["metadata"]["ownerReferences"][0]["uid"] == "uid-app"


def test_its_owner_reference_without_cluster_denies(lonely_webhook):
    response = answer(
        lonely_webhook, "/mutate-integrationtestscenario", review(scenario("t", git_spec(URL)))
    )
    assert response["allowed"] is False
    assert "no Kubernetes API configured" in response["status"]["message"]


# ReleasePlan ------------------------------------------------------------------------------


def plan(labels: dict[str, str] | None, spec: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "p", "namespace": NAMESPACE}
    if labels is not None:
        meta["labels"] = labels
    return {"apiVersion": APPSTUDIO, "kind": "ReleasePlan", "metadata": meta, "spec": spec}


def test_releaseplan_target(webhook):
    allowed(webhook, "/validate-releaseplan", review(plan(None, {"application": "app"})))
    allowed(webhook, "/validate-releaseplan", review(plan(None, {"componentGroup": "g"})))
    denied(webhook, "/validate-releaseplan", review(plan(None, {"target": "m"})), "exactly one")
    denied(
        webhook,
        "/validate-releaseplan",
        review(plan(None, {"application": "a", "componentGroup": "g"})),
        "exactly one",
    )


def test_releaseplan_auto_release_default(webhook):
    out = mutated(webhook, "/mutate-releaseplan", review(plan(None, {"application": "app"})))
    assert out["metadata"]["labels"] == {"release.appstudio.openshift.io/auto-release": "true"}
    out = mutated(webhook, "/mutate-releaseplan", review(plan({"x": "y"}, {"application": "app"})))
    assert out["metadata"]["labels"] == {"x": "y"}


def test_releaseplan_author_attribution(webhook):
    labels = {"release.appstudio.openshift.io/standing-attribution": "true"}
    body = review(plan(labels, {"application": "app"}), user="system:serviceaccount:ns:bob@x.io")
    out = mutated(webhook, "/mutate-releaseplan", body)
    assert out["metadata"]["labels"]["release.appstudio.openshift.io/author"] == (
        "system_serviceaccount_ns_bob.x.io"
    )
    long_user = "u" * 70 + "@example.com"
    out = mutated(
        webhook, "/mutate-releaseplan", review(plan(labels, {"application": "app"}), user=long_user)
    )
    assert out["metadata"]["labels"]["release.appstudio.openshift.io/author"] == "u" * 63


def test_releaseplan_author_removed_without_attribution(webhook):
    labels = {"release.appstudio.openshift.io/author": "mallory"}
    out = mutated(webhook, "/mutate-releaseplan", review(plan(labels, {"application": "app"})))
    assert out["metadata"]["labels"] == {}


# ReleasePlanAdmission ---------------------------------------------------------------------


def rpa(labels: dict[str, str] | None, **spec: Any) -> dict[str, Any]:
    base = {
        "applications": ["app"],
        "origin": NAMESPACE,
        "policy": "ecp",
        "pipeline": {"pipelineRef": {"resolver": "git", "params": []}},
    }
    base.update(spec)
    meta: dict[str, Any] = {"name": "r", "namespace": "managed"}
    if labels is not None:
        meta["labels"] = labels
    return {
        "apiVersion": APPSTUDIO,
        "kind": "ReleasePlanAdmission",
        "metadata": meta,
        "spec": {k: v for k, v in base.items() if v is not None},
    }


def test_rpa_valid(webhook):
    allowed(webhook, "/validate-releaseplanadmission", review(rpa(None)))
    allowed(
        webhook,
        "/validate-releaseplanadmission",
        review(rpa(None, applications=None, componentGroups=["g"])),
    )


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"applications": []}, "at least one"),
        ({"applications": None}, "at least one"),
        ({"origin": None}, "spec.origin is required"),
        ({"policy": ""}, "spec.policy is required"),
        ({"applications": ["a" * 64]}, "63"),
    ],
)
def test_rpa_denied(webhook, kw, fragment):
    denied(webhook, "/validate-releaseplanadmission", review(rpa(None, **kw)), fragment)


def test_rpa_block_releases(webhook):
    label = "release.appstudio.openshift.io/block-releases"
    denied(
        webhook, "/validate-releaseplanadmission", review(rpa({label: "maybe"})), "true", "false"
    )
    allowed(webhook, "/validate-releaseplanadmission", review(rpa({label: "true"})))
    assert mutated(webhook, "/mutate-releaseplanadmission", review(rpa(None)))["metadata"][
        "labels"
    ] == {label: "false"}
    assert mutated(webhook, "/mutate-releaseplanadmission", review(rpa({"a": "b"})))["metadata"][
        "labels"
    ] == {"a": "b", label: "false"}
    assert mutated(webhook, "/mutate-releaseplanadmission", review(rpa({label: "true"})))[
        "metadata"
    ]["labels"] == {label: "true"}


# Release ----------------------------------------------------------------------------------


def release(name: str, labels: dict[str, str] | None = None, **spec: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": NAMESPACE}
    if labels is not None:
        meta["labels"] = labels
    return {
        "apiVersion": APPSTUDIO,
        "kind": "Release",
        "metadata": meta,
        "spec": {"snapshot": "snap", "releasePlan": "plan", **spec},
    }


SNAP = "release.appstudio.openshift.io/snapshot"
PLAN = "release.appstudio.openshift.io/releasePlan"
AUTHOR = "release.appstudio.openshift.io/author"


def test_release_lengths(webhook):
    allowed(webhook, "/validate-release", review(release("r")))
    denied(webhook, "/validate-release", review(release("r" * 64)), "name")
    denied(webhook, "/validate-release", review(release("r", snapshot="s" * 64)), "snapshot")
    denied(webhook, "/validate-release", review(release("r", releasePlan="p" * 64)), "releasePlan")


def test_release_spec_and_labels_immutable(webhook):
    old = release("r", {SNAP: "snap", PLAN: "plan", AUTHOR: "alice"})
    denied(
        webhook,
        "/validate-release",
        review(
            release("r", {SNAP: "snap", PLAN: "plan", AUTHOR: "alice"}, snapshot="other"),
            operation="UPDATE",
            old=old,
        ),
        "spec cannot be changed",
    )
    denied(
        webhook,
        "/validate-release",
        review(
            release("r", {SNAP: "snap", PLAN: "plan", AUTHOR: "mallory"}),
            operation="UPDATE",
            old=old,
        ),
        AUTHOR,
    )
    allowed(
        webhook,
        "/validate-release",
        review(
            release("r", {SNAP: "snap", PLAN: "plan", AUTHOR: "alice", "x": "y"}),
            operation="UPDATE",
            old=old,
        ),
    )


def test_release_labels_manual(webhook):
    out = mutated(webhook, "/mutate-release", review(release("r"), user="bob@example.com"))
    assert out["metadata"]["labels"] == {SNAP: "snap", PLAN: "plan", AUTHOR: "bob.example.com"}


def test_release_labels_automated(webhook):
    labels = {"release.appstudio.openshift.io/automated": "true", SNAP: "wrong"}
    out = mutated(webhook, "/mutate-release", review(release("r", labels), user="system:x"))
    assert out["metadata"]["labels"] == {
        "release.appstudio.openshift.io/automated": "true",
        SNAP: "snap",
        PLAN: "plan",
    }
