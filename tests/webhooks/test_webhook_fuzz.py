"""Hypothesis fuzz: 10,000 malformed or hostile AdmissionReviews against one running server.

Properties: the server answers every request (no crash, no 5xx: engine
failures are 200 answers that deny), echoes the uid, never believes what a request
claims about lookups (a Component or scenario only ever gets an ownerReference to
the Application the cluster holds, `app` with uid `uid-app`, and a scenario naming
another gets none and is not admitted), and any patch it returns is a base64 JSON array.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhook_support import NAMESPACE

from konflux.webhooks.endpoints import ENDPOINTS

BATCH = 25
EXAMPLES = 400  # 400 batches of 25: 10,000 reviews

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=5,
)
hostile_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "app",
            "ghost",
            "../../api",
            "a/b",
            "%2e%2e",
            "app\x00",
            "APP",
            "a" * 300,
            "https://x",
            "SNAPSHOT",
            "true",
            "\u202eppa",
        ]
    ),
)


def usually(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` seven times in eight (one_of would pick each branch equally often)."""
    return st.integers(0, 7).flatmap(lambda i: bad if i == 7 else good)


maybe = lambda s: st.one_of(s, scalars, st.lists(scalars, max_size=2))  # noqa: E731

spec_fields = st.fixed_dictionaries(
    {},
    optional={
        "application": maybe(hostile_text),
        "componentGroup": maybe(hostile_text),
        "displayName": maybe(hostile_text),
        "source": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "git": maybe(st.fixed_dictionaries({}, optional={"url": maybe(hostile_text)})),
                    "url": maybe(hostile_text),
                },
            )
        ),
        "build-nudges-ref": maybe(st.lists(hostile_text, max_size=4)),
        "components": values,
        "params": maybe(
            st.lists(
                st.fixed_dictionaries({"name": maybe(hostile_text), "value": maybe(hostile_text)}),
                max_size=3,
            )
        ),
        "resolverRef": maybe(
            st.fixed_dictionaries({"resolver": maybe(st.just("git")), "params": values})
        ),
        "applications": maybe(st.lists(hostile_text, max_size=3)),
        "origin": maybe(hostile_text),
        "policy": maybe(hostile_text),
        "snapshot": maybe(hostile_text),
        "releasePlan": maybe(hostile_text),
    },
)
metadata = st.fixed_dictionaries(
    {},
    optional={
        "name": maybe(hostile_text),
        "namespace": maybe(hostile_text),
        "labels": maybe(st.dictionaries(hostile_text, maybe(hostile_text), max_size=3)),
        "ownerReferences": values,
    },
)
k8s_object = usually(
    st.fixed_dictionaries(
        {"metadata": maybe(metadata), "spec": maybe(spec_fields)},
        optional={"kind": maybe(hostile_text), "apiVersion": scalars},
    ),
    values,
)
request = st.fixed_dictionaries(
    {
        "uid": usually(st.uuids().map(str), maybe(hostile_text)),
        "operation": usually(
            st.sampled_from(["CREATE", "UPDATE", "DELETE"]),
            maybe(st.sampled_from(["CONNECT", "PATCH", "create"])),
        ),
        "namespace": usually(st.just(NAMESPACE), maybe(hostile_text)),
    },
    optional={
        "object": k8s_object,
        "oldObject": k8s_object,
        "userInfo": maybe(st.fixed_dictionaries({}, optional={"username": maybe(hostile_text)})),
        # a client claiming lookup results must not be believed
        "lookups": st.just(
            {
                "application": {
                    "found": True,
                    "object": {
                        "apiVersion": "x",
                        "kind": "Application",
                        "metadata": {"name": "ghost", "uid": "u"},
                    },
                },
                "components": {"items": []},
            }
        ),
        "dryRun": values,
    },
)
review = st.fixed_dictionaries(
    {
        "apiVersion": usually(st.just("admission.k8s.io/v1"), values),
        "kind": usually(st.just("AdmissionReview"), values),
        "request": usually(request, values),
    }
)
body = st.one_of(
    review.map(lambda r: json.dumps(r).encode()),
    review.map(lambda r: json.dumps(r).encode()),
    review.map(lambda r: json.dumps(r).encode()),
    review.map(lambda r: json.dumps(r).encode()),
    st.binary(max_size=200),
    values.map(lambda v: json.dumps(v).encode()),
    review.map(lambda r: json.dumps(r).encode()[: max(1, len(json.dumps(r)) // 2)]),
)
case = st.tuples(st.sampled_from(sorted(ENDPOINTS)), body)


def _request_of(raw: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    request = doc.get("request") if isinstance(doc, dict) else None
    return request if isinstance(request, dict) else None


def check(path: str, raw: bytes, status: int, doc: Any) -> None:
    assert status in (200, 400, 413), (path, raw[:200], status, doc)
    if status != 200:
        assert isinstance(doc, dict) and doc.get("message"), doc
        return
    request = _request_of(raw)
    assert request is not None
    response = doc["response"]
    assert response["uid"] == request["uid"]
    assert isinstance(response["allowed"], bool)
    if response["allowed"]:
        assert response.get("status", {}).get("code") not in (500, 403)
    else:
        assert response["status"]["message"]
    if "patch" in response:
        assert response["allowed"] and response["patchType"] == "JSONPatch"
        assert isinstance(json.loads(base64.b64decode(response["patch"])), list)
    obj = request.get("object")
    spec = obj.get("spec") if isinstance(obj, dict) else None
    app = spec.get("application") if isinstance(spec, dict) else None
    held = app == "app" and request.get("namespace") == NAMESPACE
    if "patch" in response:
        for op in json.loads(base64.b64decode(response["patch"])):
            if op["path"].startswith("/metadata/ownerReferences"):
                refs = op["value"] if isinstance(op["value"], list) else [op["value"]]
                assert held and [r["uid"] for r in refs] == ["uid-app"], (raw[:300], op)
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    owned = isinstance(meta, dict) and bool(meta.get("ownerReferences"))
    if (
        path == "/validate-integrationtestscenario"
        and request.get("operation") == "CREATE"
        and isinstance(app, str)
        and app
        and not held
        and not owned  # as upstream, a scenario arriving with an ownerReference is not refused
    ):
        assert response["allowed"] is False, (raw[:300], response)


def test_fuzz_hostile_reviews(webhook):
    sent = 0
    statuses: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )
    @given(st.lists(case, min_size=BATCH, max_size=BATCH))
    def run(cases: list[tuple[str, bytes]]) -> None:
        nonlocal sent
        answers = webhook.post_many(cases, concurrency=16)
        for (path, raw), (status, doc) in zip(cases, answers, strict=True):
            check(path, raw, status, doc)
            statuses[status] = statuses.get(status, 0) + 1
        sent += len(cases)

    run()
    assert sent >= 10_000
    # the generator reached both the parser's refusals and the rules' decisions
    assert statuses.get(200, 0) > 2000 and statuses.get(400, 0) > 2000, statuses
    status, _ = webhook.get("/healthz")
    assert status == 200
