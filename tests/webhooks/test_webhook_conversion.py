"""`/convert`: ConversionReview v1 for IntegrationTestScenario, both ways, over real HTTPS.

Cases follow integration-service's api/v1alpha1 and api/v1beta1
integrationtestscenario_conversion.go (ConvertTo / ConvertFrom through the v1beta2
hub); every converted object is checked against its version's schema in
deploy/crds/integrationtestscenario.yaml, as the API server would store it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from konflux.controllers.crd_validation import admit
from konflux.webhooks.conversion import review_response
from konflux.webhooks.errors import BadReview

GROUP = "appstudio.redhat.com"
UID = "c0ffee00-0000-4000-8000-000000000001"


def its(version: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{version}",
        "kind": "IntegrationTestScenario",
        "metadata": {"name": "t", "namespace": "tenant", "uid": "u-1", "labels": {"x": "y"}},
        "spec": spec,
        "status": {
            "conditions": [
                {
                    "type": "IntegrationTestScenarioValid",
                    "status": "True",
                    "reason": "Valid",
                    "message": "",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                }
            ]
        },
    }


GIT = {
    "resolver": "git",
    "params": [
        {"name": "url", "value": "https://github.com/org/tests"},
        {"name": "revision", "value": "main"},
        {"name": "pathInRepo", "value": "pipelines/p.yaml"},
    ],
}
COMMON = {
    "application": "app",
    "params": [{"name": "POLICY", "value": "p"}, {"name": "LIST", "values": ["a", "b"]}],
    "contexts": [{"name": "push", "description": "on push"}],
}


def convert(webhook, desired: str, *objects: dict[str, Any]) -> dict[str, Any]:
    body = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "ConversionReview",
        "request": {"uid": UID, "desiredAPIVersion": desired, "objects": list(objects)},
    }
    status, doc = webhook.post("/convert", body)
    assert status == 200, doc
    assert doc["apiVersion"] == "apiextensions.k8s.io/v1" and doc["kind"] == "ConversionReview"
    assert doc["response"]["uid"] == UID
    return doc["response"]


def stored(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as the API server would take it in its version (schema checked)."""
    verdict = admit({k: v for k, v in obj.items() if k != "status"})
    assert verdict.allowed, verdict.errors
    return obj


def test_v1beta1_to_v1beta2_and_back(webhook):
    """v1beta1 ConvertTo / ConvertFrom: resolverRef, params, contexts, metadata and conditions
    carried over; the round trip is the identity."""
    old = its("v1beta1", {**COMMON, "resolverRef": GIT})
    response = convert(webhook, f"{GROUP}/v1beta2", old)
    assert response["result"] == {"status": "Success"}
    (hub,) = response["convertedObjects"]
    stored(hub)
    assert hub["apiVersion"] == f"{GROUP}/v1beta2"
    assert hub["spec"] == {**COMMON, "resolverRef": GIT}
    assert hub["metadata"] == old["metadata"] and hub["status"] == old["status"]
    (back,) = convert(webhook, f"{GROUP}/v1beta1", hub)["convertedObjects"]
    assert back == old


def test_v1alpha1_to_v1beta2_and_back(webhook):
    """v1alpha1 ConvertTo: bundle + pipeline become a `bundles` resolverRef; ConvertFrom reads
    them back."""
    old = its("v1alpha1", {**COMMON, "bundle": "quay.io/org/tests:1", "pipeline": "it"})
    (hub,) = convert(webhook, f"{GROUP}/v1beta2", old)["convertedObjects"]
    stored(hub)
    assert hub["spec"]["resolverRef"] == {
        "resolver": "bundles",
        "params": [
            {"name": "bundle", "value": "quay.io/org/tests:1"},
            {"name": "name", "value": "it"},
            {"name": "kind", "value": "pipeline"},
        ],
    }
    (back,) = convert(webhook, f"{GROUP}/v1alpha1", hub)["convertedObjects"]
    assert back == old
    stored(back)


def test_v1beta2_down_drops_what_older_versions_cannot_hold(webhook):
    """As upstream: componentGroup, resourceKind and dependents do not exist before v1beta2; a
    git resolver has no v1alpha1 form (bundle and pipeline are left empty)."""
    new = its(
        "v1beta2",
        {
            "componentGroup": "g",
            "dependents": ["x"],
            "resolverRef": {**GIT, "resourceKind": "pipeline"},
        },
    )
    (v1beta1,) = convert(webhook, f"{GROUP}/v1beta1", new)["convertedObjects"]
    assert v1beta1["spec"] == {"resolverRef": GIT}
    (v1alpha1,) = convert(webhook, f"{GROUP}/v1alpha1", new)["convertedObjects"]
    assert (v1alpha1["spec"]["bundle"], v1alpha1["spec"]["pipeline"]) == ("", "")


def test_v1alpha1_to_v1beta1_through_the_hub(webhook):
    old = its("v1alpha1", {"application": "app", "bundle": "quay.io/o/b:1", "pipeline": "p"})
    (v1beta1,) = convert(webhook, f"{GROUP}/v1beta1", old)["convertedObjects"]
    stored(v1beta1)
    assert v1beta1["spec"]["resolverRef"]["resolver"] == "bundles"


def test_several_objects_and_same_version(webhook):
    a = its("v1beta2", {"application": "app", "resolverRef": GIT})
    b = copy.deepcopy(a)
    b["metadata"]["name"] = "u"
    response = convert(webhook, f"{GROUP}/v1beta2", a, b)
    assert response["convertedObjects"] == [a, b]


@pytest.mark.parametrize(
    ("desired", "obj", "fragment"),
    [
        (f"{GROUP}/v9", its("v1beta2", {"application": "a", "resolverRef": GIT}), "to apiVersion"),
        (f"{GROUP}/v1beta2", {**its("v1beta2", {}), "kind": "Component"}, "kind 'Component'"),
        (f"{GROUP}/v1beta2", {**its("v1beta2", {}), "apiVersion": "x/v1"}, "from apiVersion"),
        (f"{GROUP}/v1beta2", "not-an-object", "expected an object"),
        (f"{GROUP}/v1beta2", {**its("v1beta1", {}), "spec": [1]}, "spec must be an object"),
        (f"{GROUP}/v1alpha1", its("v1beta2", {"resolverRef": [1]}), "spec.resolverRef must"),
        (f"{GROUP}/v1beta2", its("v1beta1", {"resolverRef": {"params": "x"}}), "params must"),
        (f"{GROUP}/v1beta2", its("v1beta1", {"params": [1]}), "spec.params must"),
        (f"{GROUP}/v1beta2", {**its("v1beta1", {}), "status": [1]}, "status must"),
    ],
)
def test_failure_converts_nothing(webhook, desired, obj, fragment):
    response = convert(webhook, desired, its("v1beta1", {**COMMON, "resolverRef": GIT}), obj)
    assert response["result"]["status"] == "Failure"
    assert fragment in response["result"]["message"]
    assert response["convertedObjects"] == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}',
        b'{"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview", "request": {}}',
    ],
)
def test_bad_body_is_400(webhook, body):
    status, doc = webhook.post("/convert", body)
    assert status == 400 and doc["message"]


_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
_versions = (
    st.sampled_from(
        [f"{GROUP}/v1alpha1", f"{GROUP}/v1beta1", f"{GROUP}/v1beta2", f"{GROUP}/v9", "v1"]
    )
    | _scalars
)
_spec = _values | st.fixed_dictionaries(
    {},
    optional={
        "bundle": _values,
        "pipeline": _values,
        "resolverRef": _values,
        "params": _values,
        "contexts": _values,
        "application": _values,
    },
)
_scenario = st.fixed_dictionaries(
    {"kind": st.just("IntegrationTestScenario") | _scalars, "apiVersion": _versions},
    optional={"metadata": _values, "spec": _spec, "status": _values},
)


@settings(max_examples=1000, deadline=None, database=None)
@given(
    st.fixed_dictionaries(
        {
            "apiVersion": st.just("apiextensions.k8s.io/v1") | _scalars,
            "kind": st.just("ConversionReview") | _scalars,
        },
        optional={
            "request": st.fixed_dictionaries(
                {"uid": st.just(UID) | _scalars},
                optional={
                    "desiredAPIVersion": _versions,
                    "objects": st.lists(_scenario | _values, max_size=3) | _values,
                },
            )
            | _values
        },
    )
)
def test_hostile_reviews_fail_cleanly(body):
    """Whatever arrives: a BadReview (HTTP 400) or an answer that converted every object to the
    desired version, or none and says why; never another exception."""
    try:
        doc = review_response(body)
    except BadReview:
        return
    response = doc["response"]
    assert response["uid"] == body["request"]["uid"]
    if response["result"]["status"] == "Success":
        desired = body["request"]["desiredAPIVersion"]
        assert len(response["convertedObjects"]) == len(body["request"]["objects"])
        assert all(o["apiVersion"] == desired for o in response["convertedObjects"])
    else:
        assert response["convertedObjects"] == [] and response["result"]["message"]
