"""Errors found while a policy's Rego is loaded are worded as `ec` words them: `ec` loads a
source's Rego while it evaluates the first file, so its message names that file
(features/validate_input "policy URL with no rego files"). Fetching a source comes before
any file and is not prefixed. (`validate image`: tests/image/test_ec_image_error_wording.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from konflux.cli.main import cli


def validate_input(tmp_path: Path, source: Path):
    target = tmp_path / "pipeline_definition.yaml"
    target.write_text("kind: Pipeline\n")
    policy = json.dumps({"sources": [{"policy": [str(source)]}]})
    return CliRunner().invoke(cli, ["validate", "input", "--file", str(target), "-p", policy])


def test_a_source_without_rego_names_the_file_being_evaluated(tmp_path: Path):
    source = tmp_path / "policy"
    source.mkdir()
    (source / "data.yaml").write_text("a: 1\n")
    result = validate_input(tmp_path, source)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: error validating file {tmp_path / 'pipeline_definition.yaml'}: "
        "evaluating policy: no rego files found in policy subdirectory"
    ]


def test_an_unsupported_rule_names_the_file_being_evaluated(tmp_path: Path):
    source = tmp_path / "policy"
    source.mkdir()
    (source / "main.rego").write_text("package main\n\nimport rego.v1\n\ndeny if { true }\n")
    result = validate_input(tmp_path, source)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: error validating file {tmp_path / 'pipeline_definition.yaml'}: "
        'evaluating policy: the rule "deny = true if { true }" returns an unsupported value, '
        "at main.rego:5"
    ]


def test_a_source_that_cannot_be_fetched_is_not_about_the_file(tmp_path: Path):
    result = validate_input(tmp_path, tmp_path / "absent")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {tmp_path / 'absent'}: no such file or directory"
    ]
