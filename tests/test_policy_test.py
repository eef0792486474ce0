"""`policy test`: `opa test` semantics through `run_tests` and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import ROOT, write_rego

from konflux.cli.main import cli
from konflux.engine import run_tests

SUBJECT = """
    package subject

    import rego.v1

    double(x) := 2 * x

    deny contains "blob" if ec.oci.blob(input.ref) == "forbidden"
"""

TESTS = """
    package subject_test

    import rego.v1

    import data.subject

    test_passes if subject.double(2) == 4

    test_fails if {
        print("the double is", subject.double(2))
        subject.double(2) == 5
    }

    test_errors if {
        print("before the error")
        x := numbers.range_step(1, 2, 0)
        count(x) > 0
    }

    test_blob_mocked if {
        subject.deny == {"blob"} with ec.oci.blob as "forbidden" with input.ref as "r"
    }

    todo_test_later if false
"""


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return write_rego(tmp_path / "suite", {"subject.rego": SUBJECT, "subject_test.rego": TESTS})


def statuses(path: Path, **kw) -> dict[str, str]:
    return {r.case.name: r.status for r in run_tests([path], **kw).results}


def test_passing_test_is_pass(suite: Path) -> None:
    assert statuses(suite)["test_passes"] == "PASS"


def test_false_test_is_fail(suite: Path) -> None:
    assert statuses(suite)["test_fails"] == "FAIL"


def test_builtin_error_is_error(suite: Path) -> None:
    assert statuses(suite)["test_errors"] == "ERROR"


def test_error_message_names_the_builtin(suite: Path) -> None:
    [result] = run_tests([suite], run="test_errors").results
    assert "numbers.range_step" in (result.error or "")


def test_erroring_test_does_not_show_other_tests_prints(suite: Path) -> None:
    results = run_tests([suite], run="test_fails|test_errors").results
    assert {r.case.name: r.prints for r in results}["test_errors"] == []


def test_with_mock_of_custom_builtin_passes(suite: Path) -> None:
    assert statuses(suite)["test_blob_mocked"] == "PASS"


def test_todo_test_is_skipped(suite: Path) -> None:
    report = run_tests([suite])
    assert (statuses(suite)["todo_test_later"], report.count("SKIP")) == ("SKIP", 1)


def test_run_filter_selects_matching_tests(suite: Path) -> None:
    assert statuses(suite, run="test_pa") == {"test_passes": "PASS"}


def test_run_filter_matches_full_name(suite: Path) -> None:
    assert set(statuses(suite, run=r"^data\.subject_test\.test_(passes|fails)$")) == {
        "test_passes",
        "test_fails",
    }


def test_failing_test_captures_print_output(suite: Path) -> None:
    [result] = run_tests([suite], run="test_fails").results
    assert [msg for msg, _ in result.prints] == ["the double is 4"]


def test_report_fails_when_any_test_fails(suite: Path) -> None:
    assert not run_tests([suite], run="test_(passes|fails)").success


def test_report_succeeds_when_all_pass(suite: Path) -> None:
    assert run_tests([suite], run="test_passes|test_blob").success


def test_error_in_one_test_does_not_hide_other_results(suite: Path) -> None:
    found = statuses(suite, run="test_errors|test_passes")
    assert found == {"test_errors": "ERROR", "test_passes": "PASS"}


def test_coverage_reports_covered_lines_per_file(suite: Path) -> None:
    report = run_tests([suite], run="test_passes", coverage=True)
    assert report.coverage is not None
    assert str(suite / "subject.rego") in report.coverage["files"]


def test_coverage_excludes_generated_modules(suite: Path) -> None:
    report = run_tests([suite], run="test_passes", coverage=True)
    assert report.coverage is not None
    assert not any(p.startswith("konflux/") for p in report.coverage["files"])


def test_data_files_are_visible_to_tests(tmp_path: Path) -> None:
    suite = write_rego(
        tmp_path / "s",
        {
            "t_test.rego": """
        package t_test

        import rego.v1

        test_reads_data if data.settings.level == 3
    """
        },
    )
    (tmp_path / "data.json").write_text(json.dumps({"settings": {"level": 3}}))
    assert run_tests([suite], [tmp_path / "data.json"]).results[0].status == "PASS"


def test_example_policy_tests_pass() -> None:
    report = run_tests([ROOT / "examples" / "rego"])
    assert (report.success, report.count("PASS")) == (True, 11)


# --- CLI ---------------------------------------------------------------------


def test_cli_passing_suite_exits_0(runner: CliRunner, suite: Path) -> None:
    result = runner.invoke(cli, ["policy", "test", str(suite), "--run", "test_passes"])
    assert (result.exit_code, "PASS: 1/1" in result.stdout) == (0, True)


def test_cli_failing_test_exits_1(runner: CliRunner, suite: Path) -> None:
    result = runner.invoke(cli, ["policy", "test", str(suite), "--run", "test_fails"])
    assert (result.exit_code, "FAIL: 1/1" in result.stdout) == (1, True)


def test_cli_erroring_test_reported_as_error(runner: CliRunner, suite: Path) -> None:
    result = runner.invoke(cli, ["policy", "test", str(suite), "--run", "test_errors"])
    assert result.exit_code == 1
    assert "data.subject_test.test_errors: ERROR" in result.stdout


def test_cli_shows_print_output_of_failing_test(runner: CliRunner, suite: Path) -> None:
    result = runner.invoke(cli, ["policy", "test", str(suite), "--run", "test_fails"])
    assert "subject_test.rego:10: the double is 4" in result.stdout


def test_cli_counts_todo_tests_as_skipped(runner: CliRunner, suite: Path) -> None:
    result = runner.invoke(cli, ["policy", "test", str(suite), "--run", "test_passes|todo"])
    assert (result.exit_code, "SKIP: 1/2" in result.stdout) == (0, True)


def test_cli_coverage_reports_percentage(runner: CliRunner, suite: Path) -> None:
    result = runner.invoke(
        cli, ["policy", "test", str(suite), "--run", "test_passes", "--coverage"]
    )
    assert f"  {suite / 'subject.rego'}: " in result.stdout
    assert "Coverage: " in result.stdout


def test_cli_coverage_below_threshold_exits_1(runner: CliRunner, suite: Path) -> None:
    result = runner.invoke(
        cli, ["policy", "test", str(suite), "--run", "test_passes", "--threshold", "100"]
    )
    assert (result.exit_code, "below the threshold" in result.stderr) == (1, True)


def test_cli_no_tests_found_exits_1(runner: CliRunner, suite: Path) -> None:
    result = runner.invoke(cli, ["policy", "test", str(suite), "--run", "nothing_matches"])
    assert (result.exit_code, "no tests found" in result.stderr) == (1, True)


def test_cli_invalid_run_regex_is_usage_error(runner: CliRunner, suite: Path) -> None:
    result = runner.invoke(cli, ["policy", "test", str(suite), "--run", "("])
    assert result.exit_code == 2


def test_cli_json_format_summarizes(runner: CliRunner, suite: Path) -> None:
    result = runner.invoke(cli, ["policy", "test", str(suite), "--format", "json"])
    assert json.loads(result.stdout)["summary"] == {"pass": 2, "fail": 1, "error": 1, "skip": 1}


def test_cli_refuses_a_forbidden_builtin_as_evaluation_does(
    runner: CliRunner, tmp_path: Path
) -> None:
    # A rule that would ask a server at decision time: `validate input` refuses the policy, and
    # `policy test` refuses the same files with the same message instead of letting tests pass.
    directory = write_rego(
        tmp_path / "net",
        {
            "net.rego": """
        package net

        import rego.v1

        deny contains "down" if http.send({"method": "GET", "url": "https://x"}).status_code != 200
    """,
            "net_test.rego": """
        package net_test

        import rego.v1

        import data.net

        test_up if count(net.deny) == 0 with http.send as {"status_code": 200}
    """,
        },
    )
    policy = tmp_path / "policy.yaml"
    policy.write_text(json.dumps({"sources": [{"policy": [str(directory)]}]}))
    (tmp_path / "input.json").write_text("{}")
    message = f"{directory / 'net.rego'}:5: the policy calls http.send, which is not available"
    validated = runner.invoke(
        cli, ["validate", "input", "--policy", str(policy), str(tmp_path / "input.json")]
    )
    tested = runner.invoke(cli, ["policy", "test", str(directory)])
    assert validated.exit_code == tested.exit_code != 0
    assert message in validated.stderr and message in tested.stderr
    assert "PASS" not in tested.stdout
