"""Exit codes of `ec`'s commands: a refused flag value exits 1 in pflag's or `ec`'s words
(cobra's exit code for every error); a malformed command line stays click's usage error, 2.

docs/ec-differences.md ("Exit codes") says why the second differs from `ec`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import ROOT

from konflux.cli.main import cli

POLICY = str(ROOT / "examples" / "policy.yaml")
IMAGE_POLICY = str(ROOT / "examples" / "image-policy.yaml")
INPUT = str(ROOT / "examples" / "input.json")

# (command line, the one `Error:` line it must print); every one exits 1.
REFUSED_VALUES = [
    (
        ["validate", "input", INPUT, "-p", POLICY, "--workers", "abc"],
        'invalid argument "abc" for "--workers" flag: '
        'strconv.ParseInt: parsing "abc": invalid syntax',
    ),
    (
        ["validate", "image", "-i", "r/x", "-p", IMAGE_POLICY, "--timeout", "5x"],
        'invalid argument "5x" for "--timeout" flag: time: unknown unit "x" in duration "5x"',
    ),
    (
        ["validate", "image", "-i", "r/x", "-p", IMAGE_POLICY, "--retry-factor", "fast"],
        'invalid argument "fast" for "--retry-factor" flag: '
        'strconv.ParseFloat: parsing "fast": invalid syntax',
    ),
    (
        # a persistent flag `validate input` makes no use of is still parsed, as pflag does
        ["validate", "input", INPUT, "-p", POLICY, "--retry-max-wait", "3x"],
        'invalid argument "3x" for "--retry-max-wait" flag: '
        'time: unknown unit "x" in duration "3x"',
    ),
    (
        ["--timeout", "soon", "version"],
        'invalid argument "soon" for "--timeout" flag: time: invalid duration "soon"',
    ),
    (
        ["validate", "input", INPUT, "-p", POLICY, "-o", "xml"],
        'invalid value for --output: "xml" is not a valid report format '
        "(choose from json, yaml, text, summary, appstudio, hacbs)",
    ),
    (
        ["validate", "input", INPUT, "-p", POLICY, "--effective-time", "yesterday"],
        "invalid value for --effective-time: invalid effective time 'yesterday': "
        "use now, RFC3339 or YYYY-MM-DD",
    ),
    (
        [
            "validate",
            "image",
            "-i",
            "r/x",
            "-p",
            IMAGE_POLICY,
            "--vsa",
            "--attestation-format",
            "xml",
        ],
        "invalid --attestation-format: xml (valid: dsse, predicate)",
    ),
    (
        ["inspect", "policy", "--source", "examples/rego", "-o", "spam"],
        "invalid value for --output 'spam'. accepted values: json, text, names, short-names, "
        "markdown",
    ),
]


@pytest.mark.parametrize(
    ("args", "message"),
    REFUSED_VALUES,
    ids=lambda v: " ".join(v[:4]) if isinstance(v, list) else None,
)
def test_a_refused_flag_value_exits_1_in_ecs_words(args, message, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [f"Error: {message}"]
    assert "Usage:" not in result.output


def test_a_plain_number_of_seconds_is_still_a_duration():
    # Our extension (the --timeout help says so): `--retry-duration 1` is one second.
    # The run then fails for the missing key, exit 2, not for the duration.
    result = CliRunner().invoke(
        cli, ["validate", "image", "-i", "r/x", "-p", IMAGE_POLICY, "--retry-duration", "1"]
    )
    assert result.exit_code == 2
    assert "--retry-duration" not in result.stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["validate", "input", INPUT, "--bogus"], "No such option '--bogus'"),
        (["validate", "input", INPUT], "Missing option '--policy'"),
        (["validate", "input", "-p", POLICY], "at least one input file must be given"),
        (["validate", "image", "-p", IMAGE_POLICY], "give --image REF"),
        (["validate", "image", "-i", "r/x", "-p", IMAGE_POLICY], "no public key"),
    ],
)
def test_a_malformed_command_line_stays_a_usage_error(args, named):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert named in result.stderr
    assert "Usage: " in result.stderr and "Try '" in result.stderr


def test_a_value_error_outside_ecs_commands_stays_exit_2():
    # `policy test` is konflux's own: click's convention throughout.
    result = CliRunner().invoke(cli, ["policy", "test", "examples/rego", "--threshold", "101"])
    assert result.exit_code == 2
    assert "Invalid value for '--threshold'" in result.stderr


def test_a_refused_value_still_writes_the_appstudio_error_document(tmp_path: Path):
    test_output = tmp_path / "TEST_OUTPUT"
    result = CliRunner().invoke(
        cli,
        [
            "validate",
            "image",
            "-i",
            "r/x",
            "-p",
            IMAGE_POLICY,
            "--timeout",
            "5x",
            "-o",
            f"appstudio={test_output}",
        ],
    )
    assert result.exit_code == 1
    doc = json.loads(test_output.read_text())
    assert doc["result"] == "ERROR"
    assert doc["note"].endswith('invalid argument "5x" for "--timeout" flag: '
                                'time: unknown unit "x" in duration "5x"')  # fmt: skip


def test_a_refused_value_in_a_repeated_flag_is_the_one_named(tmp_path: Path):
    result = CliRunner().invoke(
        cli,
        [
            "validate",
            "input",
            INPUT,
            "-p",
            POLICY,
            "-o",
            "json",
            "--workers",
            "2",
            "--workers",
            "x",
        ],
    )
    assert result.exit_code == 1
    assert 'invalid argument "x" for "--workers" flag' in result.stderr
