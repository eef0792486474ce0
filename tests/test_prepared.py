"""The evaluation core: entries answered through one prepared query, per-key blame, the pool."""

from __future__ import annotations

import asyncio
import textwrap
import threading
from typing import Any

import pytest

from konflux.engine.errors import RegoError
from konflux.engine.evaluator.base import QueryResult
from konflux.engine.evaluator.builtins import BuiltinRegistry
from konflux.engine.evaluator.opa import OpaEvaluator
from konflux.engine.policy.files import PolicyFiles
from konflux.engine.policy.modules import parse_module
from konflux.engine.prepared import Entry, PreparedPolicy, SelectBy, rule_entries

# A gates-style bundle: a `deny` set of {code, msg} and rules whose value is data.
GATES = """
    package gates.integration

    import rego.v1

    # METADATA
    # title: Snapshot has components
    # custom:
    #   short_name: components_present
    #   failure_msg: Snapshot %s has no components
    deny contains result if {
        count(input.snapshot.components) == 0
        result := {
            "code": "gates.integration.components_present",
            "msg": sprintf("Snapshot %s has no components", [input.snapshot.name]),
        }
    }

    applicable_scenarios := sort([s.name |
        some s in input.scenarios
        s.application == input.snapshot.application
    ])

    promote if count(deny) == 0
"""

ERRORING = """
    package broken

    import rego.v1

    deny contains "never" if 1 / count(input.snapshot.components) == 0
"""


def _files(**modules: str) -> PolicyFiles:
    return PolicyFiles(
        [
            parse_module(f"{name}.rego", textwrap.dedent(src).lstrip())
            for name, src in modules.items()
        ]
    )


def _gate_entries(files: PolicyFiles) -> list[Entry]:
    return [
        *rule_entries(files.modules, ["deny"]),
        Entry("gates.integration.applicable_scenarios", "scenarios", whole=True),
        Entry("gates.integration.promote", "promote", whole=True),
    ]


def _snapshot(name: str, components: int) -> dict[str, Any]:
    return {
        "snapshot": {
            "name": name,
            "application": "app",
            "components": [{"name": f"c{i}"} for i in range(components)],
        },
        "scenarios": [
            {"name": "e2e", "application": "app"},
            {"name": "other", "application": "elsewhere"},
            {"name": "basic", "application": "app"},
        ],
    }


@pytest.mark.parametrize("select_by", list(SelectBy))
def test_a_value_rule_and_a_deny_set_are_read_from_one_evaluation(select_by: SelectBy) -> None:
    files = _files(gates=GATES)
    prepared = PreparedPolicy(files, _gate_entries(files), select_by=select_by)
    try:
        answer = prepared.evaluate(_snapshot("s1", 0))
        assert answer.errors == {}
        assert answer.value("gates.integration.applicable_scenarios") == ["basic", "e2e"]
        assert answer.values("gates.integration.deny") == [
            {"code": "gates.integration.components_present", "msg": "Snapshot s1 has no components"}
        ]
        # `promote` is undefined when something is denied: a whole rule gives no result then
        assert answer.value("gates.integration.promote", "undefined") == "undefined"
        promoted = prepared.evaluate(_snapshot("s2", 2))
        assert promoted.values("gates.integration.deny") == []
        assert promoted.value("gates.integration.promote") is True
    finally:
        prepared.close()


@pytest.mark.parametrize("select_by", list(SelectBy))
def test_only_the_selected_keys_are_answered(select_by: SelectBy) -> None:
    files = _files(gates=GATES)
    prepared = PreparedPolicy(files, _gate_entries(files), select_by=select_by)
    try:
        answer = prepared.evaluate(_snapshot("s1", 0), ["scenarios"])
        assert [entry.ref for entry, _ in answer.results] == [
            "gates.integration.applicable_scenarios"
        ]
    finally:
        prepared.close()


@pytest.mark.parametrize("select_by", list(SelectBy))
def test_an_erroring_key_is_blamed_alone_and_the_others_answered(select_by: SelectBy) -> None:
    files = _files(gates=GATES, broken=ERRORING)
    entries = _gate_entries(files) + rule_entries(files.modules, ["deny"], packages=["broken"])
    prepared = PreparedPolicy(files, entries, select_by=select_by)
    try:
        answer = prepared.evaluate(_snapshot("s1", 0))
        assert set(answer.errors) == {"broken"}
        assert "divide by zero" in str(answer.errors["broken"])
        assert answer.value("gates.integration.applicable_scenarios") == ["basic", "e2e"]
        assert len(answer.values("gates.integration.deny")) == 1
        with pytest.raises(Exception, match="divide by zero"):
            answer.raise_errors()
    finally:
        prepared.close()


@pytest.mark.parametrize("call", ["http.send({})", 'net.lookup_ip_addr("x")', "opa.runtime()"])
def test_a_forbidden_builtin_is_refused_before_anything_runs(call: str) -> None:
    files = _files(net=f"package net\n\nimport rego.v1\n\nx := {call}\n")
    with pytest.raises(RegoError, match=r"net\.rego:5: the policy calls .* not available"):
        PreparedPolicy(files, [Entry("net.x", "net", whole=True)])


def test_a_lone_async_caller_waiting_on_its_own_thread_gets_its_answer() -> None:
    files = _files(gates=GATES)
    prepared = PreparedPolicy(files, _gate_entries(files), select_by=SelectBy.INPUT)
    prepared.warm()

    async def one(i: int) -> Any:
        return await prepared.evaluate_async(_snapshot(f"s{i}", i % 2), timeout=10, alone=True)

    try:
        for i in range(4):
            answer = asyncio.run(one(i))
            assert answer.value("gates.integration.promote", False) is bool(i % 2)
        assert (prepared.calls, prepared.evaluated) == (4, 4)
    finally:
        prepared.close()


def test_async_jobs_queued_together_share_one_call_each_with_its_own_answer() -> None:
    files = _files(gates=GATES)
    prepared = PreparedPolicy(files, _gate_entries(files), select_by=SelectBy.INPUT, size=1)
    prepared.warm()

    async def burst() -> list[Any]:
        return await asyncio.gather(
            *(prepared.evaluate_async(_snapshot(f"s{i}", i % 2), timeout=10) for i in range(20))
        )

    try:
        answers = asyncio.run(burst())
        assert prepared.evaluated == 20
        assert prepared.calls < 20  # they queued behind the first: batched
        for i, answer in enumerate(answers):
            assert answer.value("gates.integration.applicable_scenarios") == ["basic", "e2e"]
            assert answer.value("gates.integration.promote", False) is bool(i % 2)
            denied = answer.values("gates.integration.deny")
            assert [d["msg"] for d in denied] == (
                [] if i % 2 else [f"Snapshot s{i} has no components"]
            )
    finally:
        prepared.close()


@pytest.mark.parametrize("alone", [False, True])
def test_an_async_caller_stops_waiting_at_its_deadline(alone: bool) -> None:
    # alone: the caller first waits on its own thread, for a bounded time only
    files = _files(
        slow="""
        package slow
        import rego.v1
        deny contains "slow" if count([x | some x in numbers.range(1, 300000)]) < 0
    """
    )
    prepared = PreparedPolicy(
        files, rule_entries(files.modules, ["deny"]), select_by=SelectBy.INPUT
    )
    prepared.warm()
    try:
        with pytest.raises(TimeoutError):
            asyncio.run(prepared.evaluate_async({}, timeout=0.05, alone=alone))
    finally:
        prepared.close()


class Counts:
    def __init__(self) -> None:
        self.made = self.running = self.most = 0
        self.lock = threading.Lock()


def counting_backend(counts: Counts) -> Any:
    """A backend is a class the core builds from a registry: this one counts engines and overlap."""

    class CountingBackend(OpaEvaluator):
        def __init__(self, registry: BuiltinRegistry):
            super().__init__(registry)
            with counts.lock:
                counts.made += 1

        def evaluate(self, entrypoint: str, input: Any = None, **options: Any) -> QueryResult:
            with counts.lock:
                counts.running += 1
                counts.most = max(counts.most, counts.running)
            try:
                return super().evaluate(entrypoint, input, **options)
            finally:
                with counts.lock:
                    counts.running -= 1

    return CountingBackend


def test_threads_share_a_bounded_pool_and_each_gets_its_own_answers() -> None:
    files = _files(gates=GATES)
    counts = Counts()
    prepared = PreparedPolicy(files, _gate_entries(files), size=2, backend=counting_backend(counts))
    results: dict[int, Any] = {}

    def run(i: int) -> None:
        for _ in range(10):
            answer = prepared.evaluate(_snapshot(f"t{i}", i % 2))
            results[i] = answer.values("gates.integration.deny")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        prepared.close()
    assert counts.made <= 2 and counts.most <= 2
    for i, denied in results.items():
        assert [d["msg"] for d in denied] == ([] if i % 2 else [f"Snapshot t{i} has no components"])


def test_a_caller_waits_while_every_engine_is_lent() -> None:
    files = _files(gates=GATES)
    counts = Counts()
    prepared = PreparedPolicy(files, _gate_entries(files), size=2, backend=counting_backend(counts))
    done = threading.Event()

    def third() -> None:
        prepared.evaluate(_snapshot("w", 1))
        done.set()

    thread = threading.Thread(target=third)
    try:
        with prepared.borrow(), prepared.borrow():
            assert counts.made == 2  # two callers at once: two engines
            thread.start()
            assert not done.wait(0.2)  # the pool is at its size: the third caller waits
        thread.join()
        assert done.is_set() and counts.made == 2
    finally:
        prepared.close()
