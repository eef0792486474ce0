"""`policy inspect` tells authors what would make a rule silently misbehave."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from konflux.cli.main import cli
from konflux.engine.errors import RegoError
from konflux.engine.policy.modules import parse_module

GOOD = """\
package demo

import rego.v1

# METADATA
# title: Good
# custom:
#   short_name: good
#   failure_msg: bad
deny contains result if {
	input.bad
	result := {"code": "demo.good", "msg": "bad"}
}
"""


def inspect(tmp_path: Path, source: str):
    (tmp_path / "rules.rego").write_text(textwrap.dedent(source))
    return CliRunner().invoke(cli, ["policy", "inspect", "-s", str(tmp_path), "-o", "names"])


def test_a_well_formed_rule_gets_no_warning(tmp_path):
    result = inspect(tmp_path, GOOD)
    assert (result.exit_code, result.stderr, result.stdout) == (0, "", "demo.good\n")


def test_misspelt_short_name_is_named_with_the_right_spelling(tmp_path):
    result = inspect(tmp_path, GOOD.replace("short_name: good", "short-name: good"))
    assert result.exit_code == 0
    assert "rules.rego:10: custom.short-name is not a known key: did you mean short_name?" in (
        result.stderr
    )
    assert "rules.rego:10: this deny rule has no custom.short_name" in result.stderr


def test_short_name_outside_custom_is_named(tmp_path):
    source = GOOD.replace("# custom:\n#   short_name: good\n", "# short_name: good\n# custom:\n")
    result = inspect(tmp_path, source)
    assert "short_name belongs under custom:" in result.stderr


def test_rule_without_metadata_is_named(tmp_path):
    result = inspect(tmp_path, "package demo\n\nimport rego.v1\n\nwarn contains 1 if input.x\n")
    assert "rules.rego:5: this warn rule has no METADATA block" in result.stderr


def test_code_of_another_package_is_named(tmp_path):
    result = inspect(tmp_path, GOOD.replace('"code": "demo.good"', '"code": "other.good"'))
    assert (
        "rules.rego:12: code 'other.good' names package 'other', but this file is package 'demo'"
        in result.stderr
    )


def test_syntax_error_fails_with_file_and_line(tmp_path):
    result = inspect(tmp_path, GOOD + "}\n")
    assert result.exit_code == 1
    assert f"Error: {tmp_path}/rules.rego:14: rego_parse_error: unexpected }} token" in (
        result.stderr
    )


def test_metadata_yaml_error_gives_the_line_in_the_file():
    source = GOOD.replace("#   failure_msg: bad", "#    failure_msg: [unclosed")
    with pytest.raises(RegoError, match=r"^rules\.rego:9:\d+: invalid METADATA YAML"):
        parse_module("rules.rego", source)


def test_a_local_source_names_the_rules_file_and_line_instead_of_a_docs_link(tmp_path):
    # conforma.dev has no page for a rule being written; a remote source gets ec's link.
    (tmp_path / "rules.rego").write_text(GOOD)
    result = CliRunner().invoke(cli, ["policy", "inspect", "-s", str(tmp_path)])
    assert "conforma.dev" not in result.stdout
    assert f"{tmp_path}/rules.rego:10" in result.stdout
