"""`konflux test`: `ec test` (conftest) semantics, outputs and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import write_rego

from konflux.cli.main import cli
from konflux.engine.config_parsers import parse_dockerfile, parse_ini, parser_for
from konflux.engine.configtest import ConftestError, ConftestOptions, run_conftest

HAPPY = {"happy.rego": "package main\n\ndeny contains msg if {\n\tmsg := input.nope\n}\n"}
WARN = {"warn.rego": 'package main\n\nimport rego.v1\n\nwarn contains "Has a warning" if true\n'}
DENY_WITH_DATA = {
    "deny.rego": (
        "package main\n\nimport rego.v1\n\n"
        'deny contains msg if {\n\tdata.fruit == "banana"\n'
        '\tmsg := "Failure due to overripeness"\n}\n'
    )
}
EMPTY = {"empty.rego": "package main\n"}


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "input.json").write_text("{}")
    (tmp_path / "data.yaml").write_text("fruit: banana\n")
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["test", *args])
    return result.exit_code, result.stdout, result.stderr


def policy(work: Path, modules: dict[str, str]) -> str:
    return str(next(iter(write_rego(work / "p", modules).glob("*.rego"))))


def test_a_check_without_results_is_one_success(work: Path) -> None:
    code, out, _ = run("-p", policy(work, HAPPY), "input.json", "-o", "json")
    assert code == 0
    assert json.loads(out) == [{"filename": "input.json", "namespace": "main", "successes": 1}]


def test_a_deny_with_data_fails_with_exit_1_and_the_rule_query(work: Path) -> None:
    code, out, _ = run(
        "-p", policy(work, DENY_WITH_DATA), "-d", "data.yaml", "input.json", "-o", "json"
    )
    assert code == 1
    assert json.loads(out)[0]["failures"] == [
        {"msg": "Failure due to overripeness", "metadata": {"query": "data.main.deny"}}
    ]


def test_no_fail_turns_a_failure_into_exit_0(work: Path) -> None:
    code, _, _ = run(
        "--no-fail", "-p", policy(work, DENY_WITH_DATA), "-d", "data.yaml", "input.json"
    )
    assert code == 0


def test_warnings_pass_unless_fail_on_warn(work: Path) -> None:
    path = policy(work, WARN)
    assert run("-p", path, "input.json", "-o", "json")[0] == 0
    code, out, _ = run("--fail-on-warn", "-p", path, "input.json", "-o", "json")
    assert code == 1
    assert json.loads(out)[0]["warnings"][0]["msg"] == "Has a warning"


def test_fail_on_warn_exits_2_for_a_failure(work: Path) -> None:
    code, _, _ = run(
        "--fail-on-warn", "-p", policy(work, DENY_WITH_DATA), "-d", "data.yaml", "input.json"
    )
    assert code == 2


def test_standard_text_without_colour(work: Path) -> None:
    code, out, _ = run(
        "-p", policy(work, DENY_WITH_DATA), "--data", "data.yaml", "input.json", "--no-color"
    )
    assert code == 1
    assert out == (
        "FAIL - input.json - main - Failure due to overripeness\n\n"
        "1 test, 0 passed, 0 warnings, 1 failure, 0 exceptions\n"
    )


@pytest.mark.parametrize(
    ("modules", "data", "result", "note", "code"),
    [
        (HAPPY, [], "SUCCESS", "All checks passed successfully", 0),
        (EMPTY, [], "SKIPPED", "All checks were skipped", 0),
        (WARN, [], "WARNING", "Warnings detected", 0),
        (DENY_WITH_DATA, ["-d", "data.yaml"], "FAILURE", "Failures detected", 1),
    ],
)
def test_appstudio_result_and_note(
    work: Path, modules: dict[str, str], data: list[str], result: str, note: str, code: int
) -> None:
    exit_code, out, _ = run("-p", policy(work, modules), *data, "input.json", "-o", "appstudio")
    doc = json.loads(out)
    assert (exit_code, doc["result"], doc["note"], doc["namespace"]) == (code, result, note, "main")
    assert list(doc) == [
        "timestamp",
        "namespace",
        "successes",
        "failures",
        "warnings",
        "result",
        "note",
    ]


def test_a_missing_policy_is_an_error_naming_it(work: Path) -> None:
    code, out, err = run("-p", "file/not/exist.rego", "input.json", "-o", "json")
    assert (code, out) == (1, "")
    assert err.strip() == (
        "Error: running test: load: loading policies: load: 1 error occurred during loading: "
        "stat file/not/exist.rego: no such file or directory"
    )


def test_appstudio_error_document_goes_to_stdout_and_no_fail_forgives_it(work: Path) -> None:
    code, out, err = run("-p", "file/not/exist.rego", "input.json", "-o", "appstudio")
    assert code == 1 and json.loads(out)["result"] == "ERROR"
    code, out, err = run("--no-fail", "-p", "file/not/exist.rego", "input.json", "-o", "appstudio")
    assert code == 0
    assert json.loads(out)["note"].startswith("Error: running test: load: loading policies")
    assert err.startswith("Error: running test: load:")


def test_broken_json_names_the_character_and_the_path(work: Path) -> None:
    (work / "broken.json").write_text('{"a": "line\nbreak"}')
    code, out, _ = run("--no-fail", "-p", policy(work, EMPTY), "broken.json", "-o", "appstudio")
    assert code == 0
    assert json.loads(out)["note"] == (
        "Error: running test: parse configurations: parser unmarshal: unmarshal json: "
        "invalid character '\\n' in string literal, path: broken.json"
    )


def test_namespaces_all_namespaces_and_wildcards(work: Path) -> None:
    write_rego(
        work / "multi",
        {
            "a.rego": 'package a\n\nimport rego.v1\n\ndeny contains "from a" if true\n',
            "b.rego": 'package b.c\n\nimport rego.v1\n\nwarn_x contains "from b" if true\n',
        },
    )
    opts = ConftestOptions(policy=["multi"], namespaces=["main"])
    assert run_conftest(["input.json"], opts)[0].successes == 0
    opts = ConftestOptions(policy=["multi"], all_namespaces=True)
    results = run_conftest(["input.json"], opts)
    assert [(r.namespace, len(r.failures), len(r.warnings)) for r in results] == [
        ("a", 1, 0),
        ("b.c", 0, 1),
    ]
    opts = ConftestOptions(policy=["multi"], namespaces=["b.*"])
    assert [r.namespace for r in run_conftest(["input.json"], opts)] == ["b.c"]


def test_exceptions_replace_the_rule_results(work: Path) -> None:
    write_rego(
        work / "exc",
        {
            "x.rego": (
                "package main\n\nimport rego.v1\n\n"
                'deny_tag contains "latest tag" if true\n\n'
                'exception contains ["tag"] if input.allow\n'
            )
        },
    )
    (work / "allow.json").write_text('{"allow": true}')
    opts = ConftestOptions(policy=["exc"])
    denied, excepted = run_conftest(["input.json", "allow.json"], opts)[::-1]
    assert [f.msg for f in denied.failures] == ["latest tag"]
    assert excepted.failures == [] and len(excepted.exceptions) == 1


def test_combine_evaluates_all_files_as_one_input(work: Path) -> None:
    write_rego(
        work / "comb",
        {
            "c.rego": (
                "package main\n\nimport rego.v1\n\n"
                "deny contains msg if {\n\tcount(input) != 2\n"
                '\tmsg := sprintf("%d files", [count(input)])\n}\n'
            )
        },
    )
    (work / "two.yaml").write_text("a: 1\n")
    opts = ConftestOptions(policy=["comb"], combine=True)
    (result,) = run_conftest(["input.json", "two.yaml"], opts)
    assert (result.filename, result.successes, result.failures) == ("Combined", 1, [])


def test_multi_document_yaml_is_reported_as_one_file(work: Path) -> None:
    (work / "multi.yaml").write_text("kind: A\n---\nkind: B\n")
    write_rego(
        work / "kinds",
        {"k.rego": "package main\n\nimport rego.v1\n\ndeny contains input.kind if input.kind\n"},
    )
    (result,) = run_conftest(["multi.yaml"], ConftestOptions(policy=["kinds"]))
    assert sorted(f.msg for f in result.failures) == ["A", "B"]


def test_a_boolean_deny_rule_is_refused(work: Path) -> None:
    write_rego(work / "bool", {"b.rego": "package main\n\nimport rego.v1\n\ndeny if true\n"})
    with pytest.raises(ConftestError, match="'if' keyword without 'contains'"):
        run_conftest(["input.json"], ConftestOptions(policy=["bool"]))


def test_a_result_object_without_msg_is_an_error(work: Path) -> None:
    write_rego(
        work / "nomsg",
        {"n.rego": 'package main\n\nimport rego.v1\n\ndeny contains {"x": 1} if true\n'},
    )
    with pytest.raises(ConftestError, match='"msg" field must be present'):
        run_conftest(["input.json"], ConftestOptions(policy=["nomsg"]))


def test_directories_are_walked_for_known_file_kinds(work: Path) -> None:
    (work / "configs").mkdir()
    (work / "configs" / "a.toml").write_text('name = "x"\n')
    (work / "configs" / "b.txt").write_text("ignored")
    results = run_conftest(["configs"], ConftestOptions(policy=[policy(work, HAPPY)]))
    assert [r.filename for r in results] == ["configs/a.toml"]


def test_data_conftest_file_names_the_input(work: Path) -> None:
    write_rego(
        work / "fileinfo",
        {"f.rego": "package main\n\nwarn contains data.conftest.file.name if true\n"},
    )
    (result,) = run_conftest(["input.json"], ConftestOptions(policy=["fileinfo"]))
    assert [w.msg for w in result.warnings] == ["input.json"]


def test_parsers_follow_file_names() -> None:
    assert parser_for("Dockerfile") == "dockerfile"
    assert parser_for("x.tfvars") == "hcl2"
    assert parser_for(".env") == "dotenv"
    assert parser_for("a.YML") == "yaml"
    assert parse_ini(b"[s]\nport = 8080\ndebug = true\nname = x\n") == {
        "s": {"port": 8080.0, "debug": True, "name": "x"}
    }
    (commands,) = parse_dockerfile(b"# base\nFROM alpine:3 AS b\nRUN apk add \\\n  curl\n")
    assert [c["Cmd"] for c in commands] == ["comment", "from", "run"]
    assert commands[1]["Value"] == ["alpine:3", "AS", "b"]


def test_an_unsupported_parser_is_refused_not_guessed(work: Path) -> None:
    (work / "main.tf").write_text('resource "x" "y" {}\n')
    with pytest.raises(ConftestError, match="hcl2 parser of conftest is not supported"):
        run_conftest(["main.tf"], ConftestOptions(policy=[policy(work, HAPPY)]))


def test_quiet_prints_nothing_when_all_pass(work: Path) -> None:
    assert run("--quiet", "-p", policy(work, HAPPY), "input.json") == (0, "", "")
