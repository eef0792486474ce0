"""ConversionReview v1 for IntegrationTestScenario: v1alpha1 and v1beta1 to and from v1beta2.

The API server stores IntegrationTestScenario as v1beta2 and calls `/convert`
whenever a client reads or writes another served version. The conversions are
integration-service's (api/*/integrationtestscenario_conversion.go), through
v1beta2 as the hub: v1alpha1 `bundle` + `pipeline` become a `bundles` resolver
reference and back; v1beta1 and v1beta2 share `resolverRef`; what an older
version cannot hold (`componentGroup`, `resourceKind`, `dependents`) is dropped
on the way down, as upstream drops it. Pure functions; the HTTP route is in
`server.py`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from konflux.webhooks.errors import BadReview

API_VERSION = "apiextensions.k8s.io/v1"
KIND = "ConversionReview"
GROUP = "appstudio.redhat.com"
ITS_KIND = "IntegrationTestScenario"
HUB = f"{GROUP}/v1beta2"

Obj = dict[str, Any]


class ConversionError(Exception):
    """An object this webhook cannot convert (named in the Failure result)."""


def _mapping(value: Any, where: str) -> Obj:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConversionError(f"{where} must be an object, got {type(value).__name__}")
    return value


def _entries(value: Any, where: str) -> list[Obj]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise ConversionError(f"{where} must be a list of objects")
    return value


def _spec(src: Obj) -> Obj:
    return _mapping(src.get("spec"), "spec")


def _copy_common(src: Obj, api_version: str) -> Obj:
    """metadata and status as they are, spec fields both versions share."""
    out: Obj = {
        "apiVersion": api_version,
        "kind": ITS_KIND,
        "metadata": copy.deepcopy(_mapping(src.get("metadata"), "metadata")),
    }
    spec = _spec(src)
    _entries(spec.get("params"), "spec.params")
    _entries(spec.get("contexts"), "spec.contexts")
    new_spec: Obj = {}
    for key in ("application", "params", "contexts"):
        if spec.get(key):
            new_spec[key] = copy.deepcopy(spec[key])
    out["spec"] = new_spec
    conditions = _entries(
        _mapping(src.get("status"), "status").get("conditions"), "status.conditions"
    )
    out["status"] = {"conditions": copy.deepcopy(conditions) if conditions else []}
    return out


def v1alpha1_to_hub(src: Obj) -> Obj:
    out = _copy_common(src, HUB)
    spec = _spec(src)
    out["spec"]["resolverRef"] = {
        "resolver": "bundles",
        "params": [
            {"name": "bundle", "value": str(spec.get("bundle") or "")},
            {"name": "name", "value": str(spec.get("pipeline") or "")},
            {"name": "kind", "value": "pipeline"},
        ],
    }
    return out


def hub_to_v1alpha1(src: Obj) -> Obj:
    out = _copy_common(src, f"{GROUP}/v1alpha1")
    ref = _mapping(_spec(src).get("resolverRef"), "spec.resolverRef")
    out["spec"]["bundle"] = ""
    out["spec"]["pipeline"] = ""
    if ref.get("resolver") == "bundles":
        for param in _entries(ref.get("params"), "spec.resolverRef.params"):
            if param.get("name") == "bundle":
                out["spec"]["bundle"] = param.get("value", "")
            elif param.get("name") == "name":
                out["spec"]["pipeline"] = param.get("value", "")
    return out


def _resolver_ref(src: Obj) -> Obj:
    ref = _mapping(_spec(src).get("resolverRef"), "spec.resolverRef")
    params = _entries(ref.get("params"), "spec.resolverRef.params")
    return {
        "resolver": ref.get("resolver", ""),
        "params": [{"name": p.get("name", ""), "value": p.get("value", "")} for p in params],
    }


def v1beta1_to_hub(src: Obj) -> Obj:
    out = _copy_common(src, HUB)
    out["spec"]["resolverRef"] = _resolver_ref(src)
    return out


def hub_to_v1beta1(src: Obj) -> Obj:
    out = _copy_common(src, f"{GROUP}/v1beta1")
    out["spec"]["resolverRef"] = _resolver_ref(src)
    return out


TO_HUB: dict[str, Callable[[Obj], Obj]] = {
    f"{GROUP}/v1alpha1": v1alpha1_to_hub,
    f"{GROUP}/v1beta1": v1beta1_to_hub,
    HUB: copy.deepcopy,
}
FROM_HUB: dict[str, Callable[[Obj], Obj]] = {
    f"{GROUP}/v1alpha1": hub_to_v1alpha1,
    f"{GROUP}/v1beta1": hub_to_v1beta1,
    HUB: copy.deepcopy,
}


def convert(obj: Any, desired: str) -> Obj:
    """`obj` as `desired` (an apiVersion), through the v1beta2 hub."""
    if not isinstance(obj, dict):
        raise ConversionError(f"expected an object, got {type(obj).__name__}")
    if obj.get("kind") != ITS_KIND:
        raise ConversionError(f"cannot convert kind {obj.get('kind')!r}: only {ITS_KIND}")
    source = obj.get("apiVersion")
    if source not in TO_HUB:
        raise ConversionError(f"cannot convert from apiVersion {source!r}")
    if desired not in FROM_HUB:
        raise ConversionError(f"cannot convert to apiVersion {desired!r}")
    if source == desired:
        return copy.deepcopy(obj)
    return FROM_HUB[desired](TO_HUB[source](obj))


def review_response(body: Any) -> Obj:
    """The ConversionReview answer to `body`; a body that is not a review is a `BadReview`."""
    if (
        not isinstance(body, dict)
        or body.get("apiVersion") != API_VERSION
        or body.get("kind") != KIND
    ):
        raise BadReview(
            f"expected apiVersion {API_VERSION!r} and kind {KIND!r} "
            "(set conversionReviewVersions: [v1] in the CRD)"
        )
    request = body.get("request")
    if (
        not isinstance(request, dict)
        or not isinstance(request.get("uid"), str)
        or not request["uid"]
    ):
        raise BadReview("ConversionReview.request.uid must be a non-empty string")
    desired = request.get("desiredAPIVersion")
    objects = request.get("objects")
    answer: Obj = {"uid": request["uid"]}
    try:
        if not isinstance(desired, str) or not isinstance(objects, list):
            raise ConversionError("request.desiredAPIVersion and request.objects are required")
        answer["convertedObjects"] = [convert(o, desired) for o in objects]
        answer["result"] = {"status": "Success"}
    except ConversionError as exc:
        # All or nothing: the API server refuses the read or write, naming why.
        answer["convertedObjects"] = []
        answer["result"] = {"status": "Failure", "message": str(exc)}
    return {"apiVersion": API_VERSION, "kind": KIND, "response": answer}
