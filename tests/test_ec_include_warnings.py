"""`Include criterion '...' doesn't match any policy rule`: only when nothing matched it, as ec."""

from __future__ import annotations

from support import ALL_FAIL


def include_warnings(outcome) -> list[str]:
    return [r.message for r in outcome.warnings if "Include criterion" in r.message]


def test_an_include_whose_only_result_is_excluded_is_not_reported(run_policy) -> None:
    outcome = run_policy(ALL_FAIL, config={"include": ["pkg.a", "pkg.b"], "exclude": ["pkg.a:t1"]})
    assert "pkg.a" not in {r.code for r in outcome.violations}
    assert include_warnings(outcome) == []


def test_an_include_excluded_as_a_success_is_not_reported(run_policy) -> None:
    outcome = run_policy({}, config={"include": ["pkg.a", "pkg.b"], "exclude": ["pkg.b"]})
    assert include_warnings(outcome) == []


def test_an_include_that_matches_no_rule_is_still_reported(run_policy) -> None:
    outcome = run_policy(ALL_FAIL, config={"include": ["pkg.a", "nosuch.rule"]})
    assert include_warnings(outcome) == [
        "Include criterion 'nosuch.rule' doesn't match any policy rule"
    ]
