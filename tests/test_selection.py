"""Include/exclude selection: `ec`'s scoring, matchers, and end-to-end selection of Rego results."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support import AT, codes, reported

from konflux.engine.policy.spec import Criteria, Source
from konflux.engine.selection import RuleSelector, matchers, score

# --- score -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        ("@collection", 10),
        ("*", 1),
        ("pkg", 10),
        ("pkg.*", 10),
        ("pkg.rule", 110),
        ("pkg:term", 110),
        ("pkg.*:term", 110),
        ("pkg.rule:term", 210),
        ("a.b.rule", 120),
        ("*.rule", 101),
    ],
)
def test_score_matches_ec_specificity(criterion: str, expected: int) -> None:
    assert score(criterion) == expected


# --- matchers ----------------------------------------------------------------


def test_matchers_of_code_without_term_or_collection() -> None:
    assert matchers({"code": "pkg.rule"}) == ["pkg", "pkg.*", "pkg.rule", "*"]


def test_matchers_add_term_variants_for_each_term() -> None:
    found = matchers({"code": "pkg.rule", "term": ["x", "y"]})
    assert found == [
        "pkg",
        "pkg.*",
        "pkg.rule",
        "pkg:x",
        "pkg.*:x",
        "pkg.rule:x",
        "pkg:y",
        "pkg.*:y",
        "pkg.rule:y",
        "*",
    ]


def test_matchers_add_collections_with_at_prefix() -> None:
    assert matchers({"code": "pkg.rule", "collections": ["c1", "c2"]})[-2:] == ["@c1", "@c2"]


def test_matchers_use_last_package_segment_of_code() -> None:
    assert matchers({"code": "policy.release.pkg.rule"})[:3] == ["pkg", "pkg.*", "pkg.rule"]


def test_matchers_of_result_without_code_is_only_wildcard() -> None:
    assert matchers({}) == ["*"]


# --- RuleSelector ------------------------------------------------------------


def _selector(include=(), exclude=(), vinclude=(), vexclude=(), configuration=None, at=AT):
    source = Source(
        name="s",
        policy=[],
        include=list(include),
        exclude=list(exclude),
        volatile_include=list(vinclude),
        volatile_exclude=list(vexclude),
    )
    return RuleSelector.for_source(source, at, configuration)


RULE_A = {"code": "pkg.a", "term": "t1", "collections": ["c1"]}


def test_selector_empty_include_defaults_to_wildcard() -> None:
    assert _selector().include.default == ["*"]


def test_selector_exclude_beats_include_at_equal_score() -> None:
    assert not _selector(include=["pkg"], exclude=["pkg.*"]).keeps(RULE_A)


def test_selector_specific_include_beats_broader_exclude() -> None:
    assert _selector(include=["pkg.a"], exclude=["pkg"]).keeps(RULE_A)


def test_selector_term_exclude_beats_rule_include() -> None:
    assert not _selector(include=["pkg.a"], exclude=["pkg.a:t1"]).keeps(RULE_A)


def test_selector_keeps_nothing_not_matched_by_include() -> None:
    assert not _selector(include=["other"]).keeps(RULE_A)


def test_selector_volatile_include_active_inside_window() -> None:
    entry = Criteria("other", effective_on="2025-12-01", effective_until="2026-02-01")
    assert _selector(vinclude=[entry]).include.default == ["other"]


def test_selector_volatile_include_inactive_before_effective_on() -> None:
    entry = Criteria("other", effective_on="2026-06-01T00:00:00Z")
    assert _selector(vinclude=[entry]).include.default == ["*"]


def test_selector_volatile_exclude_inactive_after_effective_until() -> None:
    entry = Criteria("pkg", effective_until="2025-06-01T00:00:00Z")
    assert _selector(vexclude=[entry]).keeps(RULE_A)


def test_selector_volatile_entry_for_image_applies_only_to_that_image() -> None:
    entry = Criteria("pkg", image_ref="quay.io/org/app")
    selector = _selector(vexclude=[entry])
    assert not selector.keeps(RULE_A, image_ref="quay.io/org/app@sha256:abc")
    assert selector.keeps(RULE_A, image_ref="quay.io/org/other@sha256:abc")


def test_selector_configuration_used_when_source_lists_are_empty() -> None:
    selector = _selector(configuration={"collections": ["c1"], "exclude": ["pkg.b"]})
    assert (selector.include.default, selector.exclude.default) == (["@c1"], ["pkg.b"])


def test_selector_configuration_ignored_when_source_has_criteria() -> None:
    selector = _selector(exclude=["other"], configuration={"include": ["pkg.b"]})
    assert (selector.include.default, selector.exclude.default) == (["*"], ["other"])


# --- end to end over Rego ----------------------------------------------------


def test_include_wildcard_reports_every_rule(run_policy) -> None:
    outcome = run_policy(config={"include": ["*"]})
    assert reported(outcome) == {"pkg.a", "pkg.b", "pkg.c", "other.d"}


def test_empty_include_means_wildcard(run_policy) -> None:
    outcome = run_policy(config={"include": [], "exclude": []})
    assert reported(outcome) == {"pkg.a", "pkg.b", "pkg.c", "other.d"}


def test_include_package_selects_only_that_package(run_policy) -> None:
    assert reported(run_policy(config={"include": ["pkg"]})) == {"pkg.a", "pkg.b", "pkg.c"}


def test_include_package_wildcard_selects_only_that_package(run_policy) -> None:
    assert reported(run_policy(config={"include": ["pkg.*"]})) == {"pkg.a", "pkg.b", "pkg.c"}


def test_include_rule_selects_only_that_rule(run_policy) -> None:
    assert reported(run_policy(config={"include": ["pkg.b"]})) == {"pkg.b"}


def test_include_package_term_selects_results_with_that_term(run_policy) -> None:
    assert reported(run_policy(config={"include": ["pkg:t1"]})) == {"pkg.a"}


def test_include_rule_term_selects_that_rule_result(run_policy) -> None:
    assert reported(run_policy(config={"include": ["pkg.b:t2"]})) == {"pkg.b"}


def test_include_rule_with_other_term_selects_nothing_of_it(run_policy) -> None:
    outcome = run_policy(config={"include": ["pkg.b:t2", "pkg.a:t2"]})
    assert codes(outcome.violations) == ["pkg.b"]


def test_include_collection_selects_rules_of_that_collection(run_policy) -> None:
    assert reported(run_policy(config={"include": ["@c1"]})) == {"pkg.a", "pkg.c"}


def test_exclude_beats_include_at_equal_specificity(run_policy) -> None:
    outcome = run_policy(config={"include": ["pkg", "other"], "exclude": ["pkg.*"]})
    assert reported(outcome) == {"other.d"}


def test_more_specific_include_beats_broader_exclude(run_policy) -> None:
    outcome = run_policy(config={"include": ["*", "pkg.a"], "exclude": ["pkg"]})
    assert reported(outcome) == {"pkg.a", "other.d"}


def test_exclude_rule_drops_its_success_too(run_policy) -> None:
    outcome = run_policy({}, config={"exclude": ["pkg.a"]})
    assert codes(outcome.successes) == ["other.d", "pkg.b", "pkg.c"]


def test_volatile_exclude_active_inside_window(run_policy) -> None:
    window = {
        "value": "pkg.a",
        "effectiveOn": "2025-12-01T00:00:00Z",
        "effectiveUntil": "2026-02-01T00:00:00Z",
    }
    outcome = run_policy(volatile={"exclude": [window]})
    assert "pkg.a" not in reported(outcome)


def test_volatile_exclude_inactive_before_window(run_policy) -> None:
    window = {
        "value": "pkg.a",
        "effectiveOn": "2025-12-01T00:00:00Z",
        "effectiveUntil": "2026-02-01T00:00:00Z",
    }
    outcome = run_policy(volatile={"exclude": [window]}, at=AT - timedelta(days=60))
    assert "pkg.a" in reported(outcome)


def test_volatile_exclude_inactive_after_window(run_policy) -> None:
    window = {
        "value": "pkg.a",
        "effectiveOn": "2025-12-01T00:00:00Z",
        "effectiveUntil": "2026-02-01T00:00:00Z",
    }
    outcome = run_policy(volatile={"exclude": [window]}, at=AT + timedelta(days=60))
    assert "pkg.a" in reported(outcome)


def test_volatile_include_active_inside_window(run_policy) -> None:
    entry = {"value": "other.d", "effectiveOn": "2025-01-01T00:00:00Z"}
    assert reported(run_policy(volatile={"include": [entry]})) == {"other.d"}


def test_deprecated_configuration_applies_when_source_lists_empty(run_policy) -> None:
    outcome = run_policy(spec_extra={"configuration": {"collections": ["c2"]}})
    assert reported(outcome) == {"pkg.b"}


def test_deprecated_configuration_ignored_when_source_config_given(run_policy) -> None:
    outcome = run_policy(
        config={"include": ["other"]},
        spec_extra={"configuration": {"collections": ["c2"]}},
    )
    assert reported(outcome) == {"other.d"}


def test_unmatched_include_yields_warning(run_policy) -> None:
    outcome = run_policy(config={"include": ["pkg.a", "nope.rule"]})
    assert [w.message for w in outcome.warnings] == [
        "Include criterion 'nope.rule' doesn't match any policy rule"
    ]


def test_include_matched_only_by_success_is_not_unmatched(run_policy) -> None:
    outcome = run_policy({}, config={"include": ["pkg.a"]})
    assert (outcome.warnings, codes(outcome.successes)) == ([], ["pkg.a"])
