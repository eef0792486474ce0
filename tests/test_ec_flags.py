"""Command lines written for `ec` (Go's pflag) run unchanged: each flag form, one test."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import write_rego

from konflux.cli import go_flags
from konflux.cli.go_values import GoDuration
from konflux.cli.main import cli

HAPPY = {
    "main.rego": (
        "package main\n\nimport rego.v1\n\n# METADATA\n# title: Allow\n# custom:\n"
        '#   short_name: acceptor\ndeny contains result if {\n\tfalse\n\tresult := "no"\n}\n'
    )
}
DENY = {
    "main.rego": (
        "package main\n\nimport rego.v1\n\n# METADATA\n# title: Reject\n# custom:\n"
        '#   short_name: rejector\ndeny contains {"code": "main.rejector", "msg": "no"} if true\n'
    )
}


@pytest.fixture
def policy(tmp_path: Path) -> callable:
    made = iter(range(100))

    def make(modules: dict[str, str]) -> str:
        directory = write_rego(tmp_path / f"policy{next(made)}", modules)
        return json.dumps({"sources": [{"policy": [str(directory)]}]})

    return make


def validate_input(tmp_path: Path, *args: str):
    (tmp_path / "in.json").write_text("{}")
    return CliRunner().invoke(cli, ["validate", "input", str(tmp_path / "in.json"), *args])


def test_a_boolean_flag_takes_go_values(tmp_path, policy) -> None:
    failing = policy(DENY)
    assert validate_input(tmp_path, "-p", failing).exit_code == 1
    assert validate_input(tmp_path, "-p", failing, "--strict=false").exit_code == 0
    assert validate_input(tmp_path, "-p", failing, "--strict=F").exit_code == 0
    assert validate_input(tmp_path, "-p", failing, "--strict=true").exit_code == 1
    assert validate_input(tmp_path, "-p", failing, "-s=false").exit_code == 0


def test_a_plain_flag_with_a_value(tmp_path, policy) -> None:
    happy = policy(HAPPY)
    on = validate_input(tmp_path, "-p", happy, "--show-successes=true", "--info=true", "-o", "json")
    off = validate_input(tmp_path, "-p", happy, "--show-successes=false", "-o", "json")
    assert json.loads(on.stdout)["filepaths"][0]["successes"][0]["metadata"]["title"] == "Allow"
    assert json.loads(off.stdout)["filepaths"][0]["successes"] is None


def test_a_bad_boolean_is_pflags_error_and_exit_1(tmp_path, policy) -> None:
    result = validate_input(tmp_path, "-p", policy(HAPPY), "--strict=maybe")
    assert result.exit_code == 1
    assert (
        'invalid argument "maybe" for "--strict" flag: strconv.ParseBool: parsing "maybe": '
        "invalid syntax" in result.stderr
    )


def test_a_boolean_flag_never_takes_the_next_argument(tmp_path, policy) -> None:
    # pflag: `--info in.json` is the flag, then a positional argument
    (tmp_path / "in.json").write_text("{}")
    result = CliRunner().invoke(
        cli, ["validate", "input", "-p", policy(HAPPY), "--info", str(tmp_path / "in.json")]
    )
    assert result.exit_code == 0, result.output


def test_empty_extra_rule_data_is_ignored_and_every_bad_entry_is_named(tmp_path, policy) -> None:
    happy = policy(HAPPY)
    assert validate_input(tmp_path, "-p", happy, "--extra-rule-data=").exit_code == 0
    result = validate_input(tmp_path, "-p", happy, "--extra-rule-data", "a,b=1,c")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: incorrect syntax for --extra-rule-data 0: 'a' is not KEY=VALUE",
        "incorrect syntax for --extra-rule-data 2: 'c' is not KEY=VALUE",
    ]


def test_go_durations_and_zero_timeout() -> None:
    kind = GoDuration()
    assert (kind.convert("5m", None, None), kind.convert("3s", None, None)) == (300.0, 3.0)
    assert kind.convert("0", None, None) == 0.0
    assert kind.convert("1.5", None, None) == 1.5  # plain seconds still read
    with pytest.raises(Exception, match="unknown unit"):
        kind.convert("5x", None, None)


def test_validate_image_short_names_and_output_file() -> None:
    cmd = cli.commands["validate"].commands["image"]
    args = go_flags.normalise(
        ("validate", "image"),
        cmd,
        ["-s=false", "-r", "https://rekor", "-o", "report.json", "-o", "text", "--rekor-url="],
    )
    assert args == ["--no-strict", "--rekor-url", "https://rekor", "--output-file",
                    "report.json", "-o", "text"]  # fmt: skip


def test_persistent_flags_anywhere(tmp_path, policy) -> None:
    log = tmp_path / "ec.log"
    result = validate_input(
        tmp_path, "-p", policy(HAPPY), "--verbose", "--logfile", str(log), "--timeout", "5m"
    )
    assert result.exit_code == 0, result.output
    assert go_flags.GLOBALS.verbose and go_flags.GLOBALS.logfile == str(log)
    assert logging.getLogger().level == logging.DEBUG
    assert "--timeout" in go_flags.GLOBALS.ignored
    quiet = validate_input(tmp_path, "-p", policy(HAPPY), "--quiet")
    assert quiet.exit_code == 0 and logging.getLogger().level == logging.ERROR


def test_a_commands_own_flag_is_not_taken_as_a_global_one(tmp_path) -> None:
    (tmp_path / "p.rego").write_text(
        'package main\n\nimport rego.v1\n\nwarn contains "w" if true\n'
    )
    (tmp_path / "in.json").write_text("{}")
    result = CliRunner().invoke(
        cli, ["test", "-p", str(tmp_path / "p.rego"), str(tmp_path / "in.json"), "--quiet"]
    )
    # conftest's --quiet: no output when nothing failed (a warning is not a failure)
    assert (result.exit_code, result.stdout) == (0, "")


def test_kubeconfig_anywhere_configures_cluster_references(tmp_path, policy) -> None:
    from konflux.cli import cluster_refs

    config = tmp_path / "kubeconfig"
    config.write_text("apiVersion: v1\nkind: Config\n")
    validate_input(tmp_path, "-p", policy(HAPPY), "--kubeconfig", str(config))
    assert cluster_refs._refs().kubeconfig == str(config)


def test_validate_policy_takes_dash_p(tmp_path, policy) -> None:
    result = CliRunner().invoke(cli, ["validate", "policy", "-p", policy(HAPPY)])
    assert result.exit_code == 0, result.output


def test_color_and_docs_link(tmp_path, policy) -> None:
    failing = policy(DENY)
    plain = validate_input(tmp_path, "-p", failing, "--no-color", "--show-policy-docs-link")
    assert "\x1b[" not in plain.stdout
    assert "https://conforma.dev/docs/policy/" in plain.stdout
    colored = validate_input(tmp_path, "-p", failing, "--color")
    assert "\x1b[" in colored.stdout


PRINTS = {
    "main.rego": (
        "package main\n\nimport rego.v1\n\n# METADATA\n# custom:\n#   short_name: debuggy\n"
        'deny contains result if {\n\tprint("here we are")\n\tfalse\n\tresult := "no"\n}\n'
    )
}


def test_rego_prints_at_debug_and_opa_trace_at_trace(tmp_path, policy) -> None:
    """As ec: `print` lines are debug log lines `[data.pkg.rule] file:line: msg`, and
    `--trace=opa` logs OPA's trace events `[data.pkg.rule] Enter data.pkg.rule`."""
    log = tmp_path / "ec.log"
    printing = policy(PRINTS)
    result = validate_input(tmp_path, "-p", printing, "--debug", "--logfile", str(log))
    assert result.exit_code == 0, result.output
    lines = log.read_text()
    assert 'level=debug msg="[data.main.deny] ' in lines
    assert 'main.rego:9: here we are"' in lines
    assert "Using selector" not in lines  # asyncio's own debug lines are not ec's
    log.unlink()
    traced = validate_input(tmp_path, "-p", printing, "--trace=opa", "--logfile", str(log))
    assert traced.exit_code == 0, traced.output
    assert 'level=trace msg="[data.main.deny] Enter data.main.deny"' in log.read_text()


def test_an_empty_positional_argument_is_ignored(tmp_path, policy) -> None:
    """ec's acceptance tests pass one after a trailing space; cobra ignores it."""
    (tmp_path / "in.json").write_text("{}")
    result = CliRunner().invoke(
        cli, ["validate", "input", "--file", str(tmp_path / "in.json"), "-p", policy(HAPPY), ""]
    )
    assert result.exit_code == 0, result.output
