"""Documents past a parser limit: a located error naming the file, never a traceback or a crash.

Issue 10, items 9 and 13: a 324-byte YAML alias bomb, integers of more digits
than Python converts, and nesting deeper than the `nesting` limit, as inputs,
inline inputs, policy data and Snapshots. The commands run as a user runs
them (the CLI), each check on a file made here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import EXAMPLES, YAML_ALIAS_BOMB

from konflux.cli.main import cli
from konflux.engine import limits
from konflux.engine.sigstore import generate_key_pair

BOMB = YAML_ALIAS_BOMB
POLICY = str(EXAMPLES / "policy.yaml")


@pytest.fixture(autouse=True)
def _restore_limits():
    """`--limit` sets the process's limits; later tests get them back as they were."""
    before = limits.current()
    yield
    limits.configure(before)


def _input_error(runner, tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["validate", "input", str(path), "--policy", POLICY])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.output.replace(str(tmp_path) + "/", "")


def test_yaml_alias_bomb_is_refused_naming_the_file(runner, tmp_path):
    out = _input_error(runner, tmp_path, "bomb.yaml", BOMB)
    assert "bomb.yaml:1:1: invalid YAML: aliases expand the document" in out
    assert "yaml-alias-expansion" in out


def test_recursive_alias_is_refused(runner, tmp_path):
    out = _input_error(runner, tmp_path, "loop.yaml", "a: &a [1, *a]\n")
    assert "loop.yaml:1:4: invalid YAML: an alias refers to a node that contains it" in out


def test_json_integer_past_the_digit_limit_is_located(runner, tmp_path):
    out = _input_error(runner, tmp_path, "big.json", '{\n  "n": ' + "7" * 5000 + "\n}\n")
    assert "big.json:2:8: an integer of 5000 digits" in out


def test_yaml_integer_past_the_digit_limit_is_located(runner, tmp_path):
    out = _input_error(runner, tmp_path, "big.yaml", "x: 1\nn: " + "7" * 5000 + "\n")
    assert "big.yaml:2:4: invalid YAML: an integer of 5000 digits" in out


def test_deep_json_is_located(runner, tmp_path):
    out = _input_error(runner, tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    assert "deep.json:1:257: nested too deeply" in out


def test_deep_yaml_is_located(runner, tmp_path):
    text = "a:\n" + "".join(" " * i + "- \n" for i in range(1, 2000))
    out = _input_error(runner, tmp_path, "deep.yaml", text)
    assert "deep.yaml:257:257: invalid YAML: nested too deeply" in out


def test_inline_input_is_held_to_the_same_limits(runner):
    result = runner.invoke(
        cli, ["validate", "input", '{"n": ' + "1" * 5000 + "}", "--policy", POLICY]
    )
    assert result.exit_code == 1
    assert "inline input:1:7: an integer of 5000 digits" in result.output


def test_policy_data_alias_bomb_names_the_data_file(runner, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "bomb.yaml").write_text(BOMB)
    policy = tmp_path / "policy.json"
    rego = EXAMPLES / "rego" / "labels"
    policy.write_text(json.dumps({"sources": [{"policy": [str(rego)], "data": [str(data)]}]}))
    result = runner.invoke(
        cli, ["validate", "input", str(EXAMPLES / "input.json"), "--policy", str(policy)]
    )
    assert result.exit_code == 1
    assert "bomb.yaml:1:1: invalid YAML: aliases expand the document" in result.output


def test_snapshot_alias_bomb_names_the_file(runner, tmp_path):
    snapshot = tmp_path / "snapshot.yaml"
    snapshot.write_text(BOMB)
    result = runner.invoke(
        cli,
        [
            "validate",
            "image",
            "--images",
            str(snapshot),
            "--policy",
            POLICY,
            "--public-key",
            generate_key_pair(b"").public_pem.decode(),
            "--ignore-rekor",
        ],
    )
    assert result.exit_code in (1, 2)
    assert "snapshot.yaml:1:1: invalid YAML: aliases expand" in result.output


MILD = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"


@pytest.mark.parametrize(("setting", "refused"), [("yaml-alias-expansion=20", True), (None, False)])
def test_limit_flag_raises_and_lowers_the_limit(runner, tmp_path, setting, refused):
    path = tmp_path / "mild.yaml"
    path.write_text(MILD)
    flags = ["--limit", setting] if setting else []
    result = runner.invoke(cli, [*flags, "validate", "input", str(path), "--policy", POLICY])
    assert ("yaml-alias-expansion limit of 20" in result.output) is refused, result.output


@pytest.mark.parametrize("form", ["flag", "env"])
def test_nesting_limit_set_by_flag_or_environment(tmp_path, form):
    # A real process, so the environment variable is read as a user's shell sets it.
    path = tmp_path / "ten.json"
    path.write_text("[" * 10 + "]" * 10)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KONFLUX_LIMIT_")}
    flags = ["--limit", "nesting=8"] if form == "flag" else []
    if form == "env":
        env["KONFLUX_LIMIT_NESTING"] = "8"
    done = subprocess.run(
        [sys.executable, "-m", "konflux", *flags, "validate", "input", str(path), "-p", POLICY],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "ten.json:1:9: nested too deeply: more than 8 levels" in done.stdout + done.stderr
