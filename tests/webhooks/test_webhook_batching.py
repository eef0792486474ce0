"""Requests that queue while the evaluator is busy are decided together, each on its own input."""

from __future__ import annotations

import asyncio

from webhook_support import Webhook, bundle_dir, component, engine_for, make_config, review

from konflux.webhooks.endpoints import ENDPOINTS
from konflux.webhooks.review import parse_review, rule_input

# `slow` keeps the one worker busy while the others queue; `zero` has an empty spec and makes the
# rules divide by zero (an engine error that must deny that request alone).
BUNDLE = {
    "component.rego": """
    package admission.component
    import rego.v1
    deny contains "slow" if {
        input.object.metadata.name == "slow"
        count([x | some x in numbers.range(1, 400000)]) < 0
    }
    deny contains sprintf("%s is odd", [input.object.metadata.name]) if {
        endswith(input.object.metadata.name, "-odd")
    }
    deny contains "never" if { 1 / count(input.object.spec) == 0 }
    warn contains sprintf("hello %s", [input.object.metadata.name])
"""
}


def _input(name: str) -> dict:
    obj = component(name)
    if name.startswith("zero"):
        obj["spec"] = {}
    return rule_input(parse_review(_body(review(obj))), {})


def _body(doc: dict) -> bytes:
    import json

    return json.dumps(doc).encode()


def test_a_burst_is_batched_and_each_request_gets_its_own_decision(tmp_path):
    engine = engine_for(bundle_dir(tmp_path, BUNDLE), workers=1)
    engine.start()
    endpoint = ENDPOINTS["/validate-component"]
    names = ["slow"] + [f"c{i}-{'odd' if i % 3 == 0 else 'even'}" for i in range(12)]

    async def burst(names: list[str]) -> list:
        return await asyncio.gather(*(engine.evaluate(endpoint, _input(n)) for n in names))

    try:
        decisions = asyncio.run(burst(names))
        # the burst queued faster than one worker could take it: fewer evaluations than requests
        assert engine.evaluated == len(names)
        assert engine.evaluations < len(names)
        # an engine error in a batch: the batch is retried one by one, and only the requests
        # causing the error are denied for it
        more = ["slow", "zero-1", *names[1:7], "zero-2"]
        decisions += asyncio.run(burst(more))
        names += more
        for name, decision in zip(names, decisions, strict=True):
            if name.startswith("zero"):
                assert decision.allowed is False
                assert decision.error is not None and "divide by zero" in decision.error
                continue
            assert decision.error is None, name
            assert decision.warnings == [f"hello {name}"]
            assert decision.allowed is (not name.endswith("-odd")), name
            if name.endswith("-odd"):
                assert decision.denials == [f"{name} is odd"]
    finally:
        engine.close()


def test_batched_answers_over_https_match_single_ones(bg, pki, tmp_path):
    hook = Webhook(bg, pki, make_config(pki), engine_for(bundle_dir(tmp_path, BUNDLE), workers=1))
    try:
        names = [f"w{i}-{'odd' if i % 2 else 'even'}" for i in range(40)]
        bodies = [
            ("/validate-component", _body(review(component(n), uid=f"uid-{n}"))) for n in names
        ]
        answers = [doc for _, doc in hook.post_many(bodies, concurrency=16)]
        singles = [hook.post(path, body)[1] for path, body in bodies[:6]]
        for name, doc in zip(names, answers, strict=True):
            assert doc["response"]["uid"] == f"uid-{name}"
            assert doc["response"]["allowed"] is name.endswith("-even")
            assert doc["response"]["warnings"] == [f"hello {name}"]
        assert [a["response"] for a in answers[:6]] == [s["response"] for s in singles]
        status, text = hook.get("/metrics")
        assert status == 200
        evaluations = _counter(text, "konflux_webhook_evaluations_total")
        evaluated = _counter(text, "konflux_webhook_evaluated_requests_total")
        assert evaluated == len(names) + 6
        assert 0 < evaluations <= evaluated
    finally:
        hook.stop()


def _counter(text: str, name: str) -> int:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    raise AssertionError(f"{name} not in metrics")
