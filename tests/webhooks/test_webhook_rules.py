"""Every admission rule through real HTTPS: allowed and denied, and each mutation's patch applied.

The webhook runs against a kmock Kubernetes API holding Application `app`
(uid `uid-app`), ComponentGroup `g` (uid `uid-g`), ReleasePlan `plan`
(releaseGracePeriodDays 3) and Components b -> c -> d (build-nudges-ref) in
`tenant`. Cases follow upstream's webhook tests, named in each docstring ("upstream: repo
path 'case'"); a case upstream has no counterpart for says "ours" and why. Read at:
github:konflux-ci/release-service 75576be, github:konflux-ci/integration-service 2ae2878,
github:redhat-appstudio/application-service ad51acd (the Application and Component webhooks).
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
    """upstream: application-service webhooks/application_webhook.go validateApplication (a
    DNS-1035 name with a displayName passes); the accepted side of the two cases in
    application_webhook_test.go."""
    allowed(webhook, "/validate-application", review(app_obj("my-app")))


@pytest.mark.parametrize("name", ["My-App", "1app", "app-", "a" * 64, "a.b"])
def test_application_name_dns1035(webhook, name):
    """upstream: application-service webhooks/application_webhook_test.go "Should fail with
    error saying name does not conform to spec" (validation.IsDNS1035Label in
    application_webhook.go)."""
    denied(
        webhook,
        "/validate-application",
        review(app_obj(name)),
        "DNS-1035",
        "application.name_dns1035",
    )


def test_application_display_name(webhook):
    """upstream: application-service webhooks/application_webhook_test.go "Should fail with
    error saying displayName is required field"."""
    denied(webhook, "/validate-application", review(app_obj("a", None)), "spec.displayName")


# Component --------------------------------------------------------------------------------


def app_ref(uid: str = "uid-app") -> dict[str, Any]:
    return {
        "apiVersion": APPSTUDIO,
        "kind": "Application",
        "name": "app",
        "uid": uid,
        "blockOwnerDeletion": False,
        "controller": False,
    }


def test_component_valid_and_owner_reference(webhook):
    """application-service component_webhook_unit_test.go TestComponentDefaultingWebhook:
    "component has owner ref set"."""
    comp = component("web")
    allowed(webhook, "/validate-component", review(comp))
    out = mutated(webhook, "/mutate-component", review(comp))
    assert out["metadata"]["ownerReferences"] == [app_ref()]
    # applying the defaults again changes nothing (the reference is there)
    response = allowed(webhook, "/mutate-component", review(out))
    assert "patch" not in response


def test_component_owner_reference_only_when_none(webhook):
    """application-service sets the reference only on a Component without ownerReferences."""
    comp = component("web")
    comp["metadata"]["ownerReferences"] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "uid-x"}
    ]
    response = allowed(webhook, "/mutate-component", review(comp))
    assert "patch" not in response


def test_component_argocd_tracked_gets_no_owner_reference(webhook):
    """application-service TestIsArgoCDManaged: the tracking id as label or annotation."""
    for where in ("labels", "annotations"):
        comp = component("web")
        comp["metadata"][where] = {"argocd.argoproj.io/tracking-id": "app:appstudio.redhat.com/x"}
        response = allowed(webhook, "/mutate-component", review(comp))
        assert "patch" not in response


def test_component_name(webhook):
    """upstream: application-service webhooks/component_webhook_unit_test.go
    TestComponentCreateValidatingWebhook: "component metadata.name is invalid"."""
    denied(
        webhook,
        "/validate-component",
        review(component("1-test-component")),
        "invalid component name",
        "component.name_dns1035",
    )


def test_component_source_required(webhook):
    """upstream: application-service webhooks/component_webhook_unit_test.go
    TestComponentCreateValidatingWebhook: "component needs to have one source specified"."""
    comp = component("web")
    comp["spec"]["source"] = {"git": {}}
    denied(
        webhook,
        "/validate-component",
        review(comp),
        "a git source or an image source must be specified",
    )


def test_component_source_url_form(webhook):
    """upstream: application-service webhooks/component_webhook_unit_test.go
    TestComponentCreateValidatingWebhook: "valid component with git source, new GitURL field"."""
    comp = component("web")
    comp["spec"]["source"] = {"url": "http://link"}
    allowed(webhook, "/validate-component", review(comp))


@pytest.mark.parametrize("url", ["badurl", "git@github.com:o/r.git", "github.com/o/r"])
def test_component_source_must_parse(webhook, url):
    """upstream: application-service webhooks/component_webhook_unit_test.go
    TestComponentCreateValidatingWebhook: "component cannot be created due to bad URL", "valid
    component with invalid git scheme src" (Go's url.ParseRequestURI)."""
    comp = component("web")
    comp["spec"]["source"]["git"]["url"] = url
    denied(webhook, "/validate-component", review(comp), "invalid URI for request", url)


@pytest.mark.parametrize("url", ["http://link", "ssh://git@github.com/o/r", "/tmp/r"])
def test_component_source_absolute_uris_accepted(webhook, url):
    """upstream: application-service webhooks/component_webhook.go parses with
    url.ParseRequestURI: any absolute URI or absolute path passes."""
    comp = component("web")
    comp["spec"]["source"]["git"]["url"] = url
    allowed(webhook, "/validate-component", review(comp))


def test_component_git_url_immutable(webhook):
    """upstream: application-service webhooks/component_webhook_unit_test.go
    TestComponentUpdateValidatingWebhook: "git src url cannot be changed"."""
    old = component("web")
    new = copy.deepcopy(old)
    new["spec"]["source"]["git"]["url"] = "https://github.com/org/elsewhere"
    denied(
        webhook,
        "/validate-component",
        review(new, operation="UPDATE", old=old),
        "git source cannot be updated",
    )
    new = copy.deepcopy(old)
    new["metadata"]["labels"] = {"x": "y"}
    allowed(webhook, "/validate-component", review(new, operation="UPDATE", old=old))


def test_component_application_may_not_exist_yet(webhook):
    """upstream: application-service webhooks/component_webhook_unit_test.go
    TestComponentDefaultingWebhook: "application not found" (GitOps applies in any order):
    allowed with a warning, and no ownerReference."""
    response = allowed(webhook, "/validate-component", review(component("web", app="ghost")))
    assert any('Application "ghost" does not exist' in w for w in response["warnings"])
    response = allowed(webhook, "/mutate-component", review(component("web", app="ghost")))
    assert "patch" not in response
    no_app = component("web")
    del no_app["spec"]["application"]
    allowed(webhook, "/validate-component", review(no_app))


def test_component_nudge_cycle_through_cluster(webhook):
    """upstream: application-service webhooks/component_webhook_unit_test.go
    TestValidateBuildNudgesRefGraph: "component references itself", a cycle through stored
    Components, and a chain without one."""
    # d (stored, nudges nothing) updated to nudge b: b -> c -> d -> b
    old = component("d", [])
    new = component("d", ["b"])
    denied(
        webhook, "/validate-component", review(new, operation="UPDATE", old=old), "cycle detected"
    )
    # a new Component nudging b is fine: nothing nudges it back
    allowed(webhook, "/validate-component", review(component("e", ["b"])))
    # self-nudge
    denied(webhook, "/validate-component", review(component("f", ["f"])), "cycle")


def test_component_lookups_without_cluster(lonely_webhook):
    """Without a Kubernetes API the Application cannot be read: that is no reason to deny (upstream
    does not require it); build-nudges-ref cannot be checked for a cycle: that is."""
    response = allowed(lonely_webhook, "/validate-component", review(component("web")))
    assert "warnings" not in response
    message = denied(
        lonely_webhook,
        "/validate-component",
        review(component("web", ["api"])),
        "cannot verify that build-nudges-ref forms no cycle",
        "no Kubernetes API configured",
    )
    assert "component.nudges_acyclic" in message
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
    """upstream: integration-service internal/webhook/v1beta2/snapshot_webhook_unit_test.go
    TestSnapshotCustomValidator_ValidateCreate "should allow Name with exactly 63 characters",
    "should reject Name longer than 63 characters"."""
    allowed(webhook, "/validate-snapshot", review(snapshot("s" * 63, ONE)))
    denied(webhook, "/validate-snapshot", review(snapshot("s" * 64, ONE)), "63")


def test_snapshot_components_immutable(webhook):
    """upstream: integration-service internal/webhook/v1beta2/snapshot_webhook_unit_test.go
    TestSnapshotCustomValidator_ValidateUpdate "should reject update with added components";
    snapshot_webhook_test.go "should allow updates to other fields while preserving components"."""
    old = snapshot("s", ONE)
    api = {"name": "api", "containerImage": "quay.io/o/api@sha256:" + "b" * 64}
    new = snapshot("s", [*ONE, api])
    denied(
        webhook,
        "/validate-snapshot",
        review(new, operation="UPDATE", old=old),
        "components field is immutable",
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
    """upstream: integration-service internal/webhook/v1beta2/snapshot_webhook_unit_test.go
    TestSnapshotCustomDefaulter_Default "should add application label when application label map
    is nil", "... when labels exist but application label is missing", "should overwrite
    existing application name"."""
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
    """integrationtestscenario_webhook_test.go: "should success to create scenario when only url
    in git resolver params" (the scenario arrives with the ownerReference the mutating webhook
    added)."""
    owned = {"ownerReferences": [app_ref()]}
    its = scenario("t", git_spec(URL))
    its["metadata"].update(owned)
    allowed(webhook, "/validate-integrationtestscenario", review(its))
    repo_org = [{"name": "repo", "value": "tests"}, {"name": "org", "value": "org"}]
    its = scenario("t", git_spec(repo_org))
    its["metadata"].update(owned)
    allowed(webhook, "/validate-integrationtestscenario", review(its))


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({}, "exactly one of 'application' or 'componentGroup' must be specified"),
        ({"application": "a", "componentGroup": "g"}, "not both"),
        (git_spec(URL, params=[{"name": "SNAPSHOT", "value": "x"}]), "SNAPSHOT"),
        (git_spec([*URL, {"name": "org", "value": "o"}]), "either url or repo (with org)"),
        (git_spec([{"name": "repo", "value": "r"}]), "org is missing"),
        (git_spec([{"name": "url", "value": "http://github.com/org/tests"}]), "https://"),
        (git_spec([*URL, {"name": "token", "value": "My_Secret"}]), "DNS-1123"),
        (git_spec([*URL[:2], {"name": "pathInRepo", "value": " p.yaml"}]), "whitespace"),
    ],
)
def test_its_denied(webhook, spec, fragment):
    """integrationtestscenario_webhook_test.go: the "should fail ..." and validate* cases."""
    denied(webhook, "/validate-integrationtestscenario", review(scenario("t", spec)), fragment)


def test_its_name(webhook):
    """integrationtestscenario_webhook_test.go: "should fail to create scenario with long name"."""
    denied(
        webhook,
        "/validate-integrationtestscenario",
        review(scenario("T", git_spec(URL))),
        "integrationtestscenario.name_dns1035",
    )


def test_its_update_not_validated(webhook):
    """ValidateUpdate returns nil upstream: an existing scenario with a SNAPSHOT param (made
    before the rule) can still be updated."""
    its = scenario("t", git_spec(URL, params=[{"name": "SNAPSHOT", "value": "x"}]))
    allowed(webhook, "/validate-integrationtestscenario", review(its, operation="UPDATE", old=its))


def test_its_owner_reference_and_resource_kind(webhook):
    """integrationtestscenario_webhook_test.go: "should set the value of
    'Spec.ResolverRef.ResourceKind' to 'pipeline' if not already set", "should create scenario
    with componentGroup successfully" (owner kind ComponentGroup)."""
    out = mutated(webhook, "/mutate-integrationtestscenario", review(scenario("t", git_spec(URL))))
    assert out["metadata"]["ownerReferences"] == [app_ref()]
    assert out["spec"]["resolverRef"]["resourceKind"] == "pipeline"
    allowed(webhook, "/validate-integrationtestscenario", review(out))
    group = {
        "componentGroup": "g",
        "resolverRef": {"resolver": "git", "params": URL, "resourceKind": "pipelinerun"},
    }
    out = mutated(webhook, "/mutate-integrationtestscenario", review(scenario("t", group)))
    (ref,) = out["metadata"]["ownerReferences"]
    assert (ref["kind"], ref["name"], ref["uid"]) == ("ComponentGroup", "g", "uid-g")
    assert out["spec"]["resolverRef"]["resourceKind"] == "pipelinerun"


def test_its_missing_application_denied(webhook):
    """A scenario naming an Application that does not exist gets no ownerReference (upstream:
    "could not find application"), and validation refuses it."""
    its = scenario("t", git_spec(URL))
    its["spec"]["application"] = "ghost"
    out = mutated(webhook, "/mutate-integrationtestscenario", review(its))
    assert "ownerReferences" not in out["metadata"]
    denied(
        webhook,
        "/validate-integrationtestscenario",
        review(out),
        "owner reference not set",
        "could not find application 'ghost'",
    )


def test_its_owner_reference_without_cluster_denies(lonely_webhook):
    """Without a Kubernetes API no ownerReference can be added: the scenario is refused, saying
    why. ours: upstream's webhook always has a client, so it has no such case; the refusal is
    upstream's integration-service internal/webhook/v1beta2/integrationtestscenario_webhook.go
    ValidateCreate "owner reference not set for scenario"."""
    out = mutated(
        lonely_webhook, "/mutate-integrationtestscenario", review(scenario("t", git_spec(URL)))
    )
    assert "ownerReferences" not in out["metadata"]
    denied(
        lonely_webhook,
        "/validate-integrationtestscenario",
        review(out),
        "owner reference not set",
        "no Kubernetes API configured",
    )


# ReleasePlan ------------------------------------------------------------------------------


def plan(labels: dict[str, str] | None, spec: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "p", "namespace": NAMESPACE}
    if labels is not None:
        meta["labels"] = labels
    return {"apiVersion": APPSTUDIO, "kind": "ReleasePlan", "metadata": meta, "spec": spec}


def test_releaseplan_target(webhook):
    """upstream: release-service api/v1alpha1/webhooks/releaseplan/webhook_test.go "a
    ReleasePlan is created with both application and componentGroup", "... with neither
    application nor componentGroup" ("should be rejected"), "... with only componentGroup"
    ("should succeed")."""
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
    """upstream: release-service api/v1alpha1/webhooks/releaseplan/webhook_test.go "a
    ReleasePlan is created without the auto-release label" / "should get the label added with
    its value set to true"; the second case follows releaseplan/webhook.go Default, which adds
    the label only when the labels map is nil."""
    out = mutated(webhook, "/mutate-releaseplan", review(plan(None, {"application": "app"})))
    assert out["metadata"]["labels"] == {"release.appstudio.openshift.io/auto-release": "true"}
    out = mutated(webhook, "/mutate-releaseplan", review(plan({"x": "y"}, {"application": "app"})))
    assert out["metadata"]["labels"] == {"x": "y"}


def test_releaseplan_author_attribution(webhook):
    """upstream: release-service api/v1alpha1/webhooks/author/webhook_test.go "should add admin
    as the value for the author label if attribution is set to true"; sanitizeLabelValue "should
    convert : to _", "should convert @ to .", "should trim long author values"."""
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
    """upstream: release-service api/v1alpha1/webhooks/author/webhook.go handleReleasePlan
    ("Author label should not exist in any case if attribution is not true");
    author/webhook_test.go "the Attribution label goes to true to false" / "should allow the
    change and remove the author label"."""
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
    """upstream: release-service api/v1alpha1/webhooks/releaseplanadmission/webhook_test.go "a
    ReleasePlanAdmission is created with only componentGroups" / "should succeed" (and its
    BeforeEach, which creates one with applications)."""
    allowed(webhook, "/validate-releaseplanadmission", review(rpa(None)))
    allowed(
        webhook,
        "/validate-releaseplanadmission",
        review(rpa(None, applications=None, componentGroups=["g"])),
    )


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"applications": None}, "exactly one of applications or componentGroups"),
        ({"componentGroups": ["g"]}, "exactly one of applications or componentGroups"),
        ({"applications": ["a" * 64]}, "63"),
    ],
)
def test_rpa_denied(webhook, kw, fragment):
    """releaseplanadmission/webhook_test.go: "... with both applications and componentGroups",
    "... with neither ...", "... an application name longer than 63 characters"."""
    denied(webhook, "/validate-releaseplanadmission", review(rpa(None, **kw)), fragment)


def test_rpa_block_releases(webhook):
    """upstream: release-service api/v1alpha1/webhooks/releaseplanadmission/webhook_test.go
    "created without the block-releases label" / "should get the label added with its value set
    to false", "created with an invalid block-releases label value" / "should get rejected until
    the value is valid", "created with a valid block-releases label value" / "shouldn't be
    modified"."""
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
    """upstream: release-service api/v1alpha1/webhooks/release/webhook_test.go ValidateCreate
    "should return an error when release name / snapshot name / releasePlan name is longer than
    63 characters", "should not return an error when both release name and snapshot name are
    within 63 characters"."""
    allowed(webhook, "/validate-release", review(release("r")))
    denied(webhook, "/validate-release", review(release("r" * 64)), "name")
    denied(webhook, "/validate-release", review(release("r", snapshot="s" * 64)), "snapshot")
    denied(webhook, "/validate-release", review(release("r", releasePlan="p" * 64)), "releasePlan")


def test_release_spec_and_labels_immutable(webhook):
    """upstream: release-service api/v1alpha1/webhooks/release/webhook_test.go "should error out
    when updating the resource", "should not error out when updating other labels";
    author/webhook_test.go "should not allow the author label to be set to a different value"."""
    old = release("r", {SNAP: "snap", PLAN: "plan", AUTHOR: "alice"})
    denied(
        webhook,
        "/validate-release",
        review(
            release("r", {SNAP: "snap", PLAN: "plan", AUTHOR: "alice"}, snapshot="other"),
            operation="UPDATE",
            old=old,
        ),
        "spec cannot be updated",
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
    """upstream: release-service api/v1alpha1/webhooks/release/webhook_test.go "should set
    snapshot and releasePlan labels from spec fields"; author/webhook_test.go "should add admin
    as the value for the author label", sanitizeLabelValue "should convert @ to ."."""
    out = mutated(webhook, "/mutate-release", review(release("r"), user="bob@example.com"))
    assert out["metadata"]["labels"] == {SNAP: "snap", PLAN: "plan", AUTHOR: "bob.example.com"}


def test_release_labels_automated(webhook):
    """upstream: release-service api/v1alpha1/webhooks/author/webhook_test.go "should not add
    the author label if the automated label is present and true"; release/webhook_test.go
    "should set snapshot and releasePlan labels from spec fields" (release/webhook.go Default
    sets them from spec, over a wrong value)."""
    labels = {"release.appstudio.openshift.io/automated": "true", SNAP: "wrong"}
    out = mutated(webhook, "/mutate-release", review(release("r", labels), user="system:x"))
    assert out["metadata"]["labels"] == {
        "release.appstudio.openshift.io/automated": "true",
        SNAP: "snap",
        PLAN: "plan",
    }


def test_release_old_without_labels_updatable(webhook):
    """A Release stored before the webhook set its labels still updates (say, its finalizer is
    removed): nothing is re-set, nothing refused. upstream: release-service
    api/v1alpha1/webhooks/release/webhook_test.go "should not error out when updating the
    resource metadata"; ours: the label-less old Release, which upstream's ValidateUpdate allows
    because it compares the labels ("" == "")."""
    old = release("r")
    old["metadata"]["finalizers"] = ["appstudio.redhat.com/release-finalizer"]
    new = release("r")
    allowed(webhook, "/validate-release", review(new, operation="UPDATE", old=old))


def test_release_label_edit_denied_not_reverted(webhook):
    """release/webhook_test.go "should error out when updating the snapshot label"."""
    old = release("r", {SNAP: "snap", PLAN: "plan"})
    denied(
        webhook,
        "/validate-release",
        review(release("r", {SNAP: "other", PLAN: "plan"}), operation="UPDATE", old=old),
        "snapshot label cannot be updated",
    )


def test_release_grace_period_from_plan(webhook):
    """release/webhook_test.go "should set GracePeriodDays to ReleasePlan's value" and "...
    keep the default value ... when the specified ReleasePlan does not exist"."""
    out = mutated(webhook, "/mutate-release", review(release("r")))
    assert out["spec"]["gracePeriodDays"] == 3
    out = mutated(webhook, "/mutate-release", review(release("r", releasePlan="ghost")))
    assert "gracePeriodDays" not in out["spec"]
    out = mutated(webhook, "/mutate-release", review(release("r", gracePeriodDays=1)))
    assert out["spec"]["gracePeriodDays"] == 1


# ComponentGroup and NudgeConfig -------------------------------------------------------------


def test_componentgroup_test_graph(webhook):
    """componentgroup_webhook_test.go: "Returns an error for an invalid test graph"."""
    group = {
        "apiVersion": V1BETA2,
        "kind": "ComponentGroup",
        "metadata": {"name": "g2", "namespace": NAMESPACE},
        "spec": {
            "components": [{"name": "web", "componentVersion": {"name": "main"}}],
            "testGraph": {"a": [{"name": "b"}], "b": [{"name": "a"}]},
        },
    }
    denied(webhook, "/validate-componentgroup", review(group), "cycle detected")
    group["spec"]["testGraph"] = {"a": [], "b": [{"name": "a"}]}
    allowed(webhook, "/validate-componentgroup", review(group))


def test_nudgeconfig_components_exist(webhook):
    """nudgeconfig_webhook_test.go: "rejects when 'to' references a non-existent Component
    [AC2]", "succeeds when all referenced Components exist [AC5]"."""
    config = {
        "apiVersion": V1BETA2,
        "kind": "NudgeConfig",
        "metadata": {"name": "nudge-config", "namespace": NAMESPACE},
        "spec": {"nudges": [{"from": "b", "to": "ghost"}]},
    }
    denied(webhook, "/validate-nudgeconfig", review(config), "missing 'to' component(s): ghost")
    config["spec"]["nudges"] = [{"from": "b", "to": "d"}]
    allowed(webhook, "/validate-nudgeconfig", review(config))
