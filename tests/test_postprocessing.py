"""Post-processing of raw Rego results as `ec` does it: severity, effective_on, depends_on,
successes for silent rules, the no-results error, the exclusion hint and brief metadata."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from support import AT, codes

from konflux.engine import NoResultsError, Report, render
from konflux.engine.report import TargetReport

SEVERITY_REGO = {
    "sev.rego": """
        package sev

        import rego.v1

        # METADATA
        # title: Soft deny
        # custom:
        #   short_name: soft
        deny contains {"code": "sev.soft", "msg": "soft", "severity": "warning"} if true

        # METADATA
        # title: Hard warn
        # custom:
        #   short_name: hard
        warn contains {"code": "sev.hard", "msg": "hard", "severity": "failure"} if true
    """,
}


def test_severity_warning_moves_deny_to_warnings(run_policy) -> None:
    outcome = run_policy({}, SEVERITY_REGO)
    assert "sev.soft" in codes(outcome.warnings)
    assert "sev.soft" not in codes(outcome.violations)


def test_severity_failure_moves_warn_to_violations(run_policy) -> None:
    outcome = run_policy({}, SEVERITY_REGO)
    assert "sev.hard" in codes(outcome.violations)
    assert "sev.hard" not in codes(outcome.warnings)


FUTURE_REGO = {
    "future.rego": """
        package future

        import rego.v1

        # METADATA
        # title: Future rule
        # description: Becomes a failure later.
        # custom:
        #   short_name: later
        #   effective_on: 2026-06-01T00:00:00Z
        deny contains {"code": "future.later", "msg": "Not yet."} if true
    """,
}


def test_future_effective_on_turns_failure_into_warning(run_policy) -> None:
    outcome = run_policy({}, FUTURE_REGO)
    assert (codes(outcome.violations), codes(outcome.warnings)) == ([], ["future.later"])


def test_future_effective_on_appends_date_to_message(run_policy) -> None:
    [warning] = run_policy({}, FUTURE_REGO).warnings
    assert warning.message == (
        "Not yet. This will become a failure starting on 2026-06-01T00:00:00Z"
    )


def test_past_effective_on_is_a_failure(run_policy) -> None:
    outcome = run_policy({}, FUTURE_REGO, at=datetime(2026, 6, 2, tzinfo=UTC))
    assert codes(outcome.violations) == ["future.later"]


def test_effective_on_long_past_is_dropped_from_metadata(run_policy) -> None:
    [violation] = run_policy({}, FUTURE_REGO, at=datetime(2027, 1, 1, tzinfo=UTC)).violations
    assert "effective_on" not in violation.metadata


DEPENDS_REGO = {
    "dep.rego": """
        package dep

        import rego.v1

        # METADATA
        # title: Base
        # custom:
        #   short_name: base
        deny contains {"code": "dep.base", "msg": "base failed"} if input.fail_base

        # METADATA
        # title: Dependent
        # custom:
        #   short_name: dependent
        #   depends_on: [dep.base]
        deny contains {"code": "dep.dependent", "msg": "dependent failed"} if input.fail_dependent
    """,
}


def test_depends_on_drops_dependent_violation_when_dependency_fails(run_policy) -> None:
    outcome = run_policy({"fail_base": True, "fail_dependent": True}, DEPENDS_REGO)
    assert codes(outcome.violations) == ["dep.base"]


def test_depends_on_drops_dependent_success_when_dependency_fails(run_policy) -> None:
    outcome = run_policy({"fail_base": True}, DEPENDS_REGO)
    assert codes(outcome.successes) == []


def test_depends_on_keeps_dependent_when_dependency_passes(run_policy) -> None:
    outcome = run_policy({"fail_dependent": True}, DEPENDS_REGO)
    assert (codes(outcome.violations), codes(outcome.successes)) == (
        ["dep.dependent"],
        ["dep.base"],
    )


def test_silent_rules_become_successes_with_pass(run_policy) -> None:
    outcome = run_policy({}, DEPENDS_REGO)
    assert [(r.code, r.message) for r in outcome.successes] == [
        ("dep.base", "Pass"),
        ("dep.dependent", "Pass"),
    ]


def test_success_carries_rule_title_and_dependencies(run_policy) -> None:
    outcome = run_policy({}, DEPENDS_REGO)
    assert outcome.successes[1].metadata == {
        "code": "dep.dependent",
        "title": "Dependent",
        "depends_on": ["dep.base"],
    }


def test_no_results_raises(run_policy) -> None:
    # a string result (a number is refused at load time, as ec's checkRules refuses it)
    modules = {"empty.rego": 'package empty\n\nimport rego.v1\n\ndeny contains "x" if false\n'}
    with pytest.raises(NoResultsError, match="no successes, warnings, or failures, check input"):
        run_policy({}, modules)


def test_only_unmatched_include_warnings_still_raises_no_results(run_policy) -> None:
    with pytest.raises(NoResultsError):
        run_policy({}, config={"include": ["nothing.here"]})


HINT_REGO = {
    "hint.rego": """
        package hint

        import rego.v1

        # METADATA
        # title: Hinted
        # description: Checks something.
        # custom:
        #   short_name: hinted
        deny contains {"code": "hint.hinted", "msg": "bad", "term": input.terms} if input.terms

        # METADATA
        # title: Plain
        # description: Checks another thing.
        # custom:
        #   short_name: plain
        deny contains {"code": "hint.plain", "msg": "bad"} if input.plain

        # METADATA
        # title: Warned
        # description: Only warns.
        # custom:
        #   short_name: warned
        warn contains {"code": "hint.warned", "msg": "meh"} if input.plain
    """,
}


def test_failure_description_gets_exclusion_hint(run_policy) -> None:
    [violation] = run_policy({"plain": True}, HINT_REGO).violations
    assert violation.metadata["description"] == (
        'Checks another thing. To exclude this rule add "hint.plain" to the `exclude` '
        "section of the policy configuration."
    )


def test_exclusion_hint_names_rule_with_term(run_policy) -> None:
    [violation] = run_policy({"terms": "t1"}, HINT_REGO).violations
    assert 'To exclude this rule add "hint.hinted:t1" to' in violation.metadata["description"]


def test_exclusion_hint_lists_every_term(run_policy) -> None:
    [violation] = run_policy({"terms": ["t1", "t2"]}, HINT_REGO).violations
    assert (
        'add one or more of "hint.hinted:t1", "hint.hinted:t2" to'
        in (violation.metadata["description"])
    )


def test_warning_description_has_no_exclusion_hint(run_policy) -> None:
    [warning] = run_policy({"plain": True}, HINT_REGO).warnings
    assert warning.metadata["description"] == "Only warns."


def _report(outcome, *, info: bool) -> Report:
    return Report(
        targets=[TargetReport("input.json", outcome)],
        policy={},
        effective_time=AT,
        created=AT,
        version="v0",
        info=info,
    )


def test_info_rendering_shows_exclusion_hint(run_policy) -> None:
    outcome = run_policy({"plain": True}, HINT_REGO)
    doc = json.loads(render(_report(outcome, info=True), "json"))
    [violation] = doc["filepaths"][0]["violations"]
    assert "To exclude this rule add" in violation["metadata"]["description"]


def test_brief_rendering_keeps_only_code_effective_on_and_term(run_policy) -> None:
    outcome = run_policy({"terms": "t1"}, HINT_REGO)
    doc = json.loads(render(_report(outcome, info=False), "json"))
    [violation] = doc["filepaths"][0]["violations"]
    assert violation["metadata"] == {"code": "hint.hinted", "term": "t1"}


def test_brief_metadata_keeps_effective_on(run_policy) -> None:
    [warning] = run_policy({}, FUTURE_REGO).warnings
    assert warning.to_dict(info=False)["metadata"] == {
        "code": "future.later",
        "effective_on": "2026-06-01T00:00:00Z",
    }


def test_results_are_sorted_by_code(run_policy) -> None:
    outcome = run_policy({"terms": "x", "plain": True}, HINT_REGO)
    assert codes(outcome.violations) == ["hint.hinted", "hint.plain"]
