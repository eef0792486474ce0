"""deploy/crds judged as the API server judges them: schema markers, defaults and CEL rules.

Where upstream leaves a rule to its CRD (release-service's ReleasePlan and
ReleasePlanAdmission webhooks say "Validation is handled by CRD schema (maxLength,
pattern) and CEL rules"), the cases of its webhook tests are run here against
the CRD, through `konflux.controllers.crd_validation` (structural schema, defaults,
pruning, `x-kubernetes-validations` evaluated with cel-python).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from konflux.controllers.crd_validation import Crd, CrdError, admit, load_crds

V1ALPHA1 = "appstudio.redhat.com/v1alpha1"
V1BETA2 = "appstudio.redhat.com/v1beta2"
LONG = "a" * 64


def obj(
    kind: str, spec: dict[str, Any], *, api: str = V1ALPHA1, name: str = "x", **meta: Any
) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, **meta}, "spec": spec}


def errors(o: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    return admit(o, old).errors


# --- release-service: api/v1alpha1/webhooks/releaseplan/webhook_test.go ------------------------


def test_releaseplan_application_longer_than_63_rejected():
    """ "a ReleasePlan is created (updated) with an application name longer than 63
    characters": "should be rejected"."""
    plan = obj("ReleasePlan", {"application": LONG, "target": "m"})
    assert errors(plan) == ["spec.application: Too long: may not be more than 63 bytes"]
    assert errors(plan, old=obj("ReleasePlan", {"application": "a", "target": "m"}))


def test_releaseplan_component_group_longer_than_63_rejected():
    assert errors(obj("ReleasePlan", {"componentGroup": LONG}))


def test_releaseplan_exactly_one_of_application_or_component_group():
    """ "... with both application and componentGroup" / "... neither ...": rejected;
    "... only componentGroup": should succeed."""
    both = errors(obj("ReleasePlan", {"application": "a", "componentGroup": "g"}))
    assert both == [
        'spec: Invalid value: "object": exactly one of application or componentGroup '
        "must be specified"
    ]
    assert errors(obj("ReleasePlan", {"target": "m"})) == both
    assert errors(obj("ReleasePlan", {"componentGroup": "g"})) == []


def test_releaseplan_dns_patterns_and_grace_default():
    """The kubebuilder markers: DNS-1123 patterns on application/componentGroup/target, and
    releaseGracePeriodDays defaulting to 7."""
    for field in ("application", "target"):
        spec = {"application": "a", field: "Not_DNS"}
        assert any("should match" in e for e in errors(obj("ReleasePlan", spec)))
    verdict = admit(obj("ReleasePlan", {"application": "a"}))
    assert verdict.obj["spec"]["releaseGracePeriodDays"] == 7
    kept = admit(obj("ReleasePlan", {"application": "a", "releaseGracePeriodDays": 2}))
    assert kept.obj["spec"]["releaseGracePeriodDays"] == 2


# --- release-service: api/v1alpha1/webhooks/releaseplanadmission/webhook_test.go --------------


RPA = {"origin": "tenant", "policy": "ecp", "applications": ["app"]}


def test_rpa_exactly_one_of_applications_or_component_groups():
    """ "... with both applications and componentGroups" / "... neither ...": rejected;
    "... only componentGroups": should succeed."""
    assert errors(obj("ReleasePlanAdmission", {**RPA, "componentGroups": ["g"]}))
    neither = {k: v for k, v in RPA.items() if k != "applications"}
    assert errors(obj("ReleasePlanAdmission", neither))
    assert errors(obj("ReleasePlanAdmission", {**neither, "componentGroups": ["g"]})) == []
    # minItems 1: an empty list is refused too
    assert errors(obj("ReleasePlanAdmission", {**RPA, "applications": []}))


def test_rpa_origin_policy_environment_patterns_and_required():
    for field in ("origin", "policy", "environment"):
        bad = errors(obj("ReleasePlanAdmission", {**RPA, field: "Bad_Name"}))
        assert any(f"spec.{field}" in e and "should match" in e for e in bad)
    for field in ("origin", "policy"):
        missing = {k: v for k, v in RPA.items() if k != field}
        assert errors(obj("ReleasePlanAdmission", missing)) == [f"spec.{field}: Required value"]


def test_release_spec_patterns_and_required():
    assert errors(obj("Release", {"snapshot": "s", "releasePlan": "p"})) == []
    assert any(
        "spec.snapshot" in e for e in errors(obj("Release", {"snapshot": "S!", "releasePlan": "p"}))
    )
    assert errors(obj("Release", {"snapshot": "s"})) == ["spec.releasePlan: Required value"]


# --- integration-service CRDs --------------------------------------------------------------------


def nudges(*pairs: tuple[str, str], name: str = "nudge-config") -> dict[str, Any]:
    spec = {"nudges": [{"from": a, "to": b} for a, b in pairs]}
    return obj("NudgeConfig", spec, api=V1BETA2, name=name)


def test_nudgeconfig_cel_rules():
    """NudgeConfig's x-kubernetes-validations: no self-nudge, no duplicate pair, and the
    singleton name; mode defaults to immediate."""
    assert errors(nudges(("a", "b"), ("b", "c"))) == []
    assert admit(nudges(("a", "b"))).obj["spec"]["nudges"][0]["mode"] == "immediate"
    assert errors(nudges(("a", "a"))) == [
        'spec: Invalid value: "object": self-nudge not allowed: from and to must be different'
    ]
    assert errors(nudges(("a", "b"), ("a", "b"))) == [
        'spec: Invalid value: "object": duplicate (from, to) pair not allowed'
    ]
    hostile = {**nudges(("a", "b")), "metadata": "nudge-config"}
    assert errors(hostile)[0] == 'metadata: Invalid value: "metadata" must be an object'
    assert errors(nudges(("a", "b"), name="other")) == [
        "<root>: Invalid value: \"object\": NudgeConfig must be named 'nudge-config' "
        "(singleton per namespace)"
    ]


def test_its_v1beta2_needs_exactly_one_owner():
    """integration-service's oneOf patch on v1beta2 spec (application xor componentGroup)."""
    ref = {"resolver": "git", "params": [{"name": "url", "value": "https://g/o/r"}]}
    its = obj("IntegrationTestScenario", {"resolverRef": ref}, api=V1BETA2)
    assert any("oneOf" in e for e in errors(its))
    its["spec"]["application"] = "app"
    assert errors(its) == []
    its["spec"]["componentGroup"] = "g"
    assert any("oneOf" in e for e in errors(its))


def test_its_older_versions_served_deprecated():
    ref = {"resolver": "git", "params": []}
    verdict = admit(
        obj(
            "IntegrationTestScenario",
            {"application": "a", "resolverRef": ref},
            api="appstudio.redhat.com/v1beta1",
        )
    )
    assert verdict.allowed
    assert verdict.warnings == [
        "The v1beta1 version is deprecated and will be automatically migrated to v1beta2"
    ]


def test_componentgroup_kind_pattern_and_default():
    group = obj(
        "ComponentGroup",
        {
            "components": [
                {"name": "a", "componentVersion": {"name": "m"}},
                {"name": "b", "kind": "ComponentGroup"},
            ]
        },
        api=V1BETA2,
    )
    verdict = admit(group)
    assert verdict.allowed and verdict.obj["spec"]["components"][0]["kind"] == "component"
    group["spec"]["components"][1]["kind"] = "thing"
    assert any("should match" in e for e in errors(group))


# --- application-api -----------------------------------------------------------------------------


def test_application_requires_display_name():
    assert errors(obj("Application", {})) == ["spec.displayName: Required value"]
    assert errors(obj("Application", {"displayName": "App"})) == []


def test_component_name_patterns_as_upstream_envtest():
    """application-service webhooks/component_webhook_test.go "Should reject until all the
    fields are valid": the CRD refuses componentName/application "@#"."""
    comp = obj(
        "Component",
        {"componentName": "@#", "application": "@#", "source": {"git": {"url": "https://g/o/r"}}},
    )
    found = errors(comp)
    assert (
        'spec.componentName: Invalid value: "@#": spec.componentName in body should match '
        "'^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"
    ) in found
    assert any(e.startswith("spec.application: Invalid value") for e in found)


def test_imagerepository_visibility_enum_and_internalrequest_schema():
    repo = obj("ImageRepository", {"image": {"name": "o/web", "visibility": "secret"}})
    assert errors(repo) == [
        'spec.image.visibility: Unsupported value: "secret": supported values: "public", "private"'
    ]
    request = obj(
        "InternalRequest", {"pipeline": {"pipelineRef": {"resolver": "git", "params": []}}}
    )
    assert errors(request) == []


# --- the API server's handling -----------------------------------------------------------------


def test_unknown_fields_pruned_with_a_warning():
    verdict = admit(obj("Application", {"displayName": "a", "colour": "blue"}))
    assert verdict.allowed and "colour" not in verdict.obj["spec"]
    assert verdict.warnings == ['unknown field "spec.colour"']


def test_status_subresource_ignored_on_create_kept_on_update():
    created = admit({**obj("Application", {"displayName": "a"}), "status": {"conditions": []}})
    assert "status" not in created.obj
    condition = {
        "type": "Created",
        "status": "True",
        "reason": "OK",
        "message": "",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }
    old = {**obj("Application", {"displayName": "a"}), "status": {"conditions": [condition]}}
    updated = admit({**obj("Application", {"displayName": "b"}), "status": {"forged": True}}, old)
    assert updated.allowed and updated.obj["status"] == old["status"]


def test_metadata_name_and_unserved_version():
    assert errors(obj("Application", {"displayName": "a"}, name="Not_Valid"))[0].startswith(
        'metadata.name: Invalid value: "Not_Valid"'
    )
    generated = {
        "apiVersion": V1ALPHA1,
        "kind": "Release",
        "metadata": {"generateName": "r-"},
        "spec": {"snapshot": "s", "releasePlan": "p"},
    }
    assert errors(generated) == []
    assert "is not served" in errors(obj("Application", {}, api="appstudio.redhat.com/v9"))[0]
    with pytest.raises(CrdError, match="no CRD"):
        admit(obj("Gadget", {}))


def _crd_with(rule: str, tmp_path: Path, **schema: Any) -> dict[tuple[str, str], Crd]:
    doc = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {
                                        "n": {"type": "integer"},
                                        "s": {"type": "string"},
                                        "tags": {
                                            "type": "array",
                                            "items": {"type": "string"},
                                            "x-kubernetes-list-type": "set",
                                        },
                                    },
                                    "x-kubernetes-validations": [
                                        {"rule": rule, "message": "rule failed"}
                                    ],
                                    **schema,
                                },
                            },
                        }
                    },
                }
            ],
        },
    }
    (tmp_path / "widget.yaml").write_text(yaml.safe_dump(doc))
    return load_crds(tmp_path)


def widget(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": spec,
    }


def test_transition_rules_apply_to_updates_only(tmp_path):
    crds = _crd_with("self.n >= oldSelf.n", tmp_path)
    assert admit(widget({"n": 1}), crds=crds).allowed
    assert admit(widget({"n": 2}), widget({"n": 1}), crds).allowed
    assert admit(widget({"n": 0}), widget({"n": 1}), crds).errors == [
        'spec: Invalid value: "object": rule failed'
    ]


def test_hostile_input_fails_cleanly(tmp_path):
    """A rule that errors at run time is a validation error, not a crash; wrong types and
    duplicate set items are refused; a rule that does not compile makes the CRD unusable."""
    crds = _crd_with("self.n / self.n == 1", tmp_path)
    (error,) = admit(widget({"n": 0}), crds=crds).errors
    assert "rule evaluation error" in error
    assert (
        admit(widget({"n": "1"}), crds=crds).errors[0].startswith('spec.n: Invalid value: "string"')
    )
    assert admit(widget({"n": 1, "tags": ["a", "a"]}), crds=crds).errors == [
        'spec.tags[1]: Duplicate value: "a"'
    ]
    assert admit({**widget({"n": 1}), "metadata": "x"}, crds=crds).errors == [
        'metadata: Invalid value: "metadata" must be an object'
    ]
    assert admit({**widget({"n": 1}), "metadata": {"name": 7}}, crds=crds).errors
    with pytest.raises(CrdError, match="expected a Kubernetes object"):
        admit(["not", "an", "object"], crds=crds)  # type: ignore[arg-type]
    broken = _crd_with("self.n ==", tmp_path)
    with pytest.raises(CrdError, match="does not compile"):
        admit(widget({"n": 1}), crds=broken)


def test_samples_in_the_repository_are_valid():
    """Every CR this repository ships (examples/, deploy/) passes its CRD."""
    root = Path(__file__).resolve().parents[2]
    checked = 0
    for path in [*root.glob("examples/**/*.yaml"), *root.glob("deploy/policies/*.yaml")]:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and str(doc.get("apiVersion", "")).startswith(
                "appstudio.redhat.com/"
            ):
                verdict = admit(copy.deepcopy(doc))
                assert verdict.allowed, (path, verdict.errors)
                checked += 1
    assert checked
