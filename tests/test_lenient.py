"""Lenient builtins: a builtin error makes the call undefined (as `ec`/`opa` evaluate), and an
error that still escapes becomes a violation naming the rule and the builtin, never a pass."""

from __future__ import annotations

from support import codes

from konflux.engine.evaluator import lenient
from konflux.engine.policy.files import PolicyFiles
from konflux.engine.policy.modules import parse_module
from konflux.engine.prepared import Entry, PreparedPolicy

LENIENT_REGO = {
    "lenient.rego": """
        package lenient

        import rego.v1

        # METADATA
        # title: Timestamp
        # custom:
        #   short_name: timestamp
        deny contains {"code": "lenient.timestamp", "msg": "too old"} if {
            time.parse_rfc3339_ns(input.timestamp) < 0
        }

        # METADATA
        # title: Object get
        # custom:
        #   short_name: object_get
        deny contains {"code": "lenient.object_get", "msg": "got"} if {
            object.get(input.not_an_object, "a", 1) == 1
        }

        # METADATA
        # title: Always
        # custom:
        #   short_name: always
        deny contains {"code": "lenient.always", "msg": "always"} if true
    """,
}

ESCAPING_REGO = {
    "escaping.rego": """
        package escaping

        import rego.v1

        # METADATA
        # title: Range
        # custom:
        #   short_name: range
        deny contains {"code": "escaping.range", "msg": "range"} if {
            count(numbers.range_step(1, input.n, 0)) > 0
        }

        # METADATA
        # title: Sibling
        # custom:
        #   short_name: sibling
        deny contains {"code": "escaping.sibling", "msg": "sibling"} if input.fail
    """,
    "healthy.rego": """
        package healthy

        import rego.v1

        # METADATA
        # title: Fine
        # custom:
        #   short_name: fine
        deny contains {"code": "healthy.fine", "msg": "fine"} if input.fail
    """,
}

BAD = {"timestamp": "bad", "not_an_object": "str"}


def test_bad_time_parse_does_not_abort_other_rules(run_policy) -> None:
    assert codes(run_policy(BAD, LENIENT_REGO).violations) == ["lenient.always"]


def test_bad_time_parse_makes_rule_undefined(run_policy) -> None:
    assert "lenient.timestamp" in codes(run_policy(BAD, LENIENT_REGO).successes)


def test_object_get_on_string_makes_rule_undefined(run_policy) -> None:
    assert "lenient.object_get" in codes(run_policy(BAD, LENIENT_REGO).successes)


def test_lenient_rules_still_fire_on_good_input(run_policy) -> None:
    good = {"timestamp": "1960-01-01T00:00:00Z", "not_an_object": {}}
    outcome = run_policy(good, LENIENT_REGO)
    assert codes(outcome.violations) == [
        "lenient.always",
        "lenient.object_get",
        "lenient.timestamp",
    ]


def test_escaping_builtin_error_is_a_violation_with_rule_code(run_policy) -> None:
    outcome = run_policy({"n": 3}, ESCAPING_REGO)
    assert codes(outcome.violations) == ["escaping.range"]


def test_escaping_builtin_error_message_names_builtin(run_policy) -> None:
    [violation] = run_policy({"n": 3}, ESCAPING_REGO).violations
    assert violation.message.startswith(
        "Rule escaping.range could not be evaluated: builtin numbers.range_step failed at "
    )


def test_escaping_builtin_error_is_never_a_success(run_policy) -> None:
    assert "escaping.range" not in codes(run_policy({"n": 3}, ESCAPING_REGO).successes)


def test_escaping_error_reports_no_pass_for_rules_of_its_package(run_policy) -> None:
    outcome = run_policy({"n": 3, "fail": True}, ESCAPING_REGO)
    assert codes(outcome.successes) == []


def test_escaping_error_satisfies_include_of_the_rule(run_policy) -> None:
    outcome = run_policy({"n": 3}, ESCAPING_REGO, config={"include": ["escaping.range"]})
    assert (codes(outcome.violations), outcome.warnings) == (["escaping.range"], [])


def test_escaping_error_leaves_other_packages_evaluated(run_policy) -> None:
    outcome = run_policy({"n": 3, "fail": True}, ESCAPING_REGO)
    assert "healthy.fine" in codes(outcome.violations)


def test_rewrite_redirects_table_builtins_only() -> None:
    source = "x := time.parse_rfc3339_ns(s)\ny := numbers.range_step(1, 2, 1)\n"
    assert lenient.rewrite(source) == (
        "x := data.konflux_lenient.call__time__parse_rfc3339_ns(s)\n"
        "y := numbers.range_step(1, 2, 1)\n"
    )


def test_rewrite_leaves_strings_and_comments_alone() -> None:
    source = '# lower(x)\nmsg := "upper(y)"\n'
    assert lenient.rewrite(source) == source


def test_rewrite_leaves_member_calls_alone() -> None:
    assert lenient.rewrite("x := lib.lower(y)\n") == "x := lib.lower(y)\n"


def _value(rego: str, input=None):
    """The whole `data.t` document, evaluated through the core as every caller does."""
    module = parse_module("t.rego", "package t\n\nimport rego.v1\n\n" + rego)
    prepared = PreparedPolicy(PolicyFiles([module]), [Entry("t", "t", whole=True)])
    try:
        return prepared.evaluate(input).raise_errors().value("t")
    finally:
        prepared.close()


def test_lenient_call_keeps_valid_results() -> None:
    assert _value('x := to_number("12")\n') == {"x": 12}


def test_lenient_call_is_undefined_on_bad_value() -> None:
    assert _value('x := to_number("twelve")\ny := 1\n') == {"y": 1}


def test_lenient_regex_with_invalid_pattern_is_undefined() -> None:
    assert _value('x := regex.match("[", "a")\ny := 1\n') == {"y": 1}
