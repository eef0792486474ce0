"""AdmissionReview v1 in and out: parsing a request body, building the rules' input and the answer.

Pure functions. A body that is not an `admission.k8s.io/v1` AdmissionReview
with a request uid is a `BadReview` (HTTP 400); everything else is decided by
the rules.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from konflux.engine.documents import json_loads
from konflux.webhooks.bundle import Decision
from konflux.webhooks.errors import BadReview
from konflux.webhooks.input_shape import InputShape

EVERY_FIELD = InputShape()

API_VERSION = "admission.k8s.io/v1"
KIND = "AdmissionReview"
OPERATIONS = {"CREATE", "UPDATE", "DELETE", "CONNECT"}
# Fields of `request` the rules see, as the API server sends them.
REQUEST_FIELDS = (
    "uid",
    "kind",
    "resource",
    "subResource",
    "requestKind",
    "requestResource",
    "name",
    "namespace",
    "operation",
    "userInfo",
    "object",
    "oldObject",
    "dryRun",
    "options",
)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _reject_constant(name: str) -> Any:
    raise BadReview(f"the body is not valid JSON: {name} is not a JSON number")


def parse_review(body: bytes) -> dict[str, Any]:
    """Return the review's `request`, or raise `BadReview` saying what is wrong with the body."""
    if not body:
        raise BadReview("empty body: expected an admission.k8s.io/v1 AdmissionReview")
    try:
        review = json_loads(body, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise BadReview(
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:  # past a parser limit (nesting, integer digits), or not UTF-8
        raise BadReview(f"the body is not usable JSON: {exc}") from None
    if not isinstance(review, dict):
        raise BadReview(f"expected a JSON object (AdmissionReview), got {type(review).__name__}")
    if review.get("apiVersion") != API_VERSION or review.get("kind") != KIND:
        raise BadReview(
            f"expected apiVersion {API_VERSION!r} and kind {KIND!r}, got "
            f"{_short(review.get('apiVersion'))} and {_short(review.get('kind'))} "
            "(set admissionReviewVersions: [v1] in the webhook configuration)"
        )
    request = review.get("request")
    if not isinstance(request, dict):
        raise BadReview("AdmissionReview.request is missing or not an object")
    uid = request.get("uid")
    if not isinstance(uid, str) or not uid or len(uid) > 256:
        raise BadReview("AdmissionReview.request.uid must be a non-empty string")
    operation = request.get("operation")
    if not isinstance(operation, str) or operation not in OPERATIONS:
        raise BadReview(
            f"AdmissionReview.request.operation must be one of {sorted(OPERATIONS)}, "
            f"got {_short(operation)}"
        )
    for key in ("object", "oldObject"):
        if request.get(key) is not None and not isinstance(request[key], dict):
            raise BadReview(f"AdmissionReview.request.{key} must be an object or null")
    return request


def rule_input(
    request: dict[str, Any], lookups: dict[str, Any], shape: InputShape = EVERY_FIELD
) -> dict[str, Any]:
    """The document the rules see as `input`: the request's fields they read, and the lookups."""
    doc = shape.request_fields(request, REQUEST_FIELDS)
    doc["lookups"] = lookups
    return doc


def response(uid: str, decision: Decision) -> dict[str, Any]:
    """The AdmissionReview answer for `decision`."""
    answer: dict[str, Any] = {"uid": uid, "allowed": decision.allowed}
    if decision.error:
        answer["status"] = {"code": 500, "message": decision.error, "reason": "InternalError"}
    elif not decision.allowed:
        answer["status"] = {"code": 403, "message": decision.message, "reason": "Forbidden"}
    if decision.warnings:
        answer["warnings"] = decision.warnings
    if decision.allowed and decision.patch:
        answer["patchType"] = "JSONPatch"
        answer["patch"] = base64.b64encode(json.dumps(decision.patch).encode()).decode()
    return {"apiVersion": API_VERSION, "kind": KIND, "response": answer}
