"""The `konflux` command line: exit codes, output targets and error reporting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import ROOT

from konflux.cli.main import cli

POLICY = str(ROOT / "examples" / "policy.yaml")
INPUT = str(ROOT / "examples" / "input.json")
PASSING_INPUT = json.dumps(
    {"config": {"Labels": {"name": "a", "version": "1", "vendor": "v", "maintainer": "a@b.c"}}}
)


@pytest.fixture(autouse=True)
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the example policy names its source relative to the root


def validate(runner: CliRunner, *args: str):
    return runner.invoke(
        cli,
        [
            "validate",
            "input",
            "--effective-time",
            "2026-01-01",
            "--allow-past-effective-time",
            *args,
        ],
        catch_exceptions=False,
    )


def test_violations_with_strict_exit_1(runner: CliRunner) -> None:
    result = validate(runner, "--policy", POLICY, INPUT, "--strict")
    assert result.exit_code == 1


def test_violations_with_strict_report_criteria_not_met(runner: CliRunner) -> None:
    result = validate(runner, "--policy", POLICY, INPUT)
    assert "success criteria not met" in result.stderr


def test_violations_with_no_strict_exit_0(runner: CliRunner) -> None:
    result = validate(runner, "--policy", POLICY, INPUT, "--no-strict")
    assert result.exit_code == 0


def test_passing_input_exits_0_with_strict(runner: CliRunner) -> None:
    result = validate(runner, "--policy", POLICY, PASSING_INPUT, "-o", "json")
    assert (result.exit_code, json.loads(result.stdout)["success"]) == (0, True)


def test_missing_policy_option_is_usage_error(runner: CliRunner) -> None:
    result = validate(runner, INPUT)
    assert result.exit_code == 2


def test_no_input_is_usage_error(runner: CliRunner) -> None:
    result = validate(runner, "--policy", POLICY)
    assert result.exit_code == 2


def test_missing_input_file_exits_1_with_message(runner: CliRunner) -> None:
    result = validate(runner, "--policy", POLICY, "absent.json")
    assert result.exit_code == 1
    assert "absent.json: no such file" in result.stderr


def test_invalid_effective_time_exits_1_as_ec_naming_the_option(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["validate", "input", "--policy", POLICY, INPUT, "--effective-time", "tomorrow"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: invalid value for --effective-time: ")


def test_unknown_output_format_exits_1_in_ecs_words(runner: CliRunner) -> None:
    # `ec`: `Error: "xml" is not a valid report format`, exit 1 (cobra's for every error).
    result = validate(runner, "--policy", POLICY, INPUT, "-o", "xml")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        'Error: invalid value for --output: "xml" is not a valid report format '
        "(choose from json, yaml, text, summary, appstudio, hacbs)"
    ]


def test_output_to_file_writes_the_format(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    validate(runner, "--policy", POLICY, INPUT, "--no-strict", "-o", f"json={out}")
    assert json.loads(out.read_text())["filepaths"][0]["filepath"] == INPUT


def test_appstudio_error_document_on_load_failure(runner: CliRunner) -> None:
    result = validate(runner, "--policy", "absent-policy.yaml", INPUT, "-o", "appstudio")
    doc = json.loads(result.stdout)
    assert (result.exit_code, doc["result"]) == (1, "ERROR")
    assert doc["note"].startswith("Error: validating input: absent-policy.yaml")


def test_extra_rule_data_overrides_source_rule_data(runner: CliRunner) -> None:
    result = validate(
        runner,
        "--policy",
        POLICY,
        INPUT,
        "--extra-rule-data",
        "required_labels=name",
        "-o",
        "json",
    )
    assert json.loads(result.stdout)["filepaths"][0]["violations"] == []


def test_validate_policy_accepts_example(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", "policy", POLICY])
    assert result.exit_code == 0
    assert "valid EnterpriseContractPolicy spec (1 sources)" in result.stdout


def test_validate_policy_rejects_schema_violation(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - policy: [x]\n    bogus: 1\n")
    result = runner.invoke(cli, ["validate", "policy", str(bad)])
    assert (result.exit_code, "'bogus' was unexpected" in result.stderr) == (1, True)


def test_policy_inspect_lists_rule_codes(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["policy", "inspect", "--source", "examples/rego/labels", "-o", "names"]
    )
    # In source order, as `ec inspect policy` lists them.
    assert result.stdout.split() == [
        "labels.required_labels",
        "labels.deprecated_labels",
        "labels.maintainer_email",
    ]


def test_past_effective_time_is_refused_without_allow_flag(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["validate", "input", "--policy", POLICY, INPUT, "--effective-time", "2020-01-01"]
    )
    assert result.exit_code == 1
    assert "use --allow-past-effective-time" in result.output


def test_output_option_for_unknown_format_exits_1(runner: CliRunner) -> None:
    result = validate(runner, "--policy", POLICY, INPUT, "--output", "junit")
    assert result.exit_code == 1
    assert '"junit" is not a valid report format' in result.stderr
