"""Push or pull request: the Python rule and the gates' Rego rule agree on every case.

The controllers keep `is_push_event` in Python because Snapshot garbage collection and
the build-run reconcile (neither is a gate) need it, while the gates decide with
`data.gates.lib.is_push`. Both follow integration-service's
`IsSnapshotCreatedByPACPushEvent` (gitops/snapshot.go); this test runs both over the
same table (every combination of event type, pull-request label, source branch and
Snapshot type, plus objects missing their labels, annotations or metadata) so neither can
change alone. Label and annotation values are strings, as the API server requires.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from konflux.controllers import constants as c
from konflux.controllers.gates import DEFAULT_GATES
from konflux.controllers.integration import is_push_event, is_push_snapshot
from konflux.engine.policy.files import load_paths
from konflux.engine.prepared import Entry, PreparedPolicy, SelectBy
from konflux.kube.names import as_data

EVENT = f"{c.PAC_COPY_PREFIX}event-type"
PULL_REQUEST = f"{c.PAC_COPY_PREFIX}pull-request"
BRANCH = f"{c.PAC_COPY_PREFIX}source-branch"
ABSENT = None

EVENTS = [ABSENT, "push", "Push", "pull_request", "Merge_Request", "retest-all-comment", ""]
PULL_REQUESTS = [ABSENT, "17", ""]
BRANCHES = [
    ABSENT,
    "main",
    "refs/heads/main",
    "gh-readonly-queue/main/pr-17-abc",
    "refs/heads/gh-readonly-queue/main/pr-17-abc",
    "feature/gh-readonly-queue/x",  # the prefix only counts at the start
]
TYPES = [ABSENT, c.SNAPSHOT_TYPE_COMPONENT, c.SNAPSHOT_TYPE_GROUP, c.SNAPSHOT_TYPE_OVERRIDE]

# The gates' rule as a whole value per object (a partial rule is undefined when false).
PARITY_REGO = """package parity

import rego.v1

import data.gates.lib

answers := [push(s) | some s in input.snapshots]

push(s) := true if lib.is_push(s) else := false
"""


def snapshot(event: str | None, pr: str | None, branch: str | None, kind: str | None) -> Any:
    labels = {k: v for k, v in ((EVENT, event), (PULL_REQUEST, pr), (c.SNAPSHOT_TYPE_LABEL, kind))}
    annotations = {BRANCH: branch}
    return {
        "kind": "Snapshot",
        "metadata": {
            "name": "s",
            "labels": {k: v for k, v in labels.items() if v is not None},
            "annotations": {k: v for k, v in annotations.items() if v is not None},
        },
    }


def table() -> list[Any]:
    combined = [
        snapshot(*case) for case in itertools.product(EVENTS, PULL_REQUESTS, BRANCHES, TYPES)
    ]
    # Objects missing parts: a manual Snapshot without labels or annotations, or without
    # metadata at all, and null maps (what a client may send for an empty map).
    bare: list[Any] = [
        {"kind": "Snapshot"},
        {"kind": "Snapshot", "metadata": {}},
        {"kind": "Snapshot", "metadata": {"labels": None, "annotations": None}},
        {"kind": "Snapshot", "metadata": {"labels": {EVENT: "pull_request", PULL_REQUEST: "1"}}},
        {"kind": "Snapshot", "metadata": {"annotations": {BRANCH: "gh-readonly-queue/main/x"}}},
    ]
    return combined + bare


@pytest.fixture(scope="module")
def rego_is_push(tmp_path_factory: pytest.TempPathFactory) -> PreparedPolicy:
    module = tmp_path_factory.mktemp("parity") / "parity.rego"
    module.write_text(PARITY_REGO)
    files = load_paths([DEFAULT_GATES / "lib", module])
    return PreparedPolicy(
        files,
        [Entry("parity.answers", "parity", whole=True)],
        select_by=SelectBy.INPUT,
        data=as_data(),
    )


def test_python_and_rego_push_rules_agree_on_every_case(rego_is_push: PreparedPolicy) -> None:
    cases = table()
    answer = rego_is_push.evaluate({"snapshots": cases}).raise_errors()
    rego = answer.value("parity.answers")
    assert isinstance(rego, list) and len(rego) == len(cases), rego
    python = [is_push_snapshot(s) for s in cases]
    differ = [
        (s.get("metadata", s), p, r) for s, p, r in zip(cases, python, rego, strict=True) if p != r
    ]
    assert not differ, f"{len(differ)} cases differ (object, python, rego): {differ[:5]}"
    # The table holds both answers, so agreement is not both sides saying one thing.
    assert True in python and False in python


@pytest.mark.parametrize(
    ("labels", "annotations", "push"),
    [
        ({}, {}, True),  # a manual Snapshot
        ({EVENT: "push"}, {}, True),
        ({EVENT: "Push", PULL_REQUEST: "3"}, {}, True),  # GitLab spelling
        ({EVENT: "pull_request", PULL_REQUEST: "3"}, {}, False),
        ({EVENT: "retest-all-comment", PULL_REQUEST: "3"}, {}, False),  # a comment on a PR
        ({EVENT: "retest-all-comment"}, {}, True),  # a comment on a push
        ({c.SNAPSHOT_TYPE_LABEL: c.SNAPSHOT_TYPE_GROUP}, {}, False),
        ({EVENT: "push"}, {BRANCH: "refs/heads/gh-readonly-queue/main/pr-3"}, False),
    ],
)
def test_known_answers_upstream(labels: dict, annotations: dict, push: bool) -> None:
    """Named cases from integration-service's IsSnapshotCreatedByPACPushEvent tests, so the
    table above is not two equally wrong rules agreeing."""
    assert is_push_event(labels, annotations) is push
