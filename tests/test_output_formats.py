"""Report formats, checked against golden files for the shipped example policy and input.

Regenerate the goldens with `UPDATE_GOLDEN=1 pytest tests/test_output_formats.py`, then review
the diff: the goldens are the specification of each format.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from support import AT, ROOT

from konflux.engine import (
    Report,
    Result,
    Settings,
    load_policy,
    read_inputs,
    render,
    validate_inputs,
)

GOLDEN = Path(__file__).parent / "golden"
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def example_report(*, info: bool, show_successes: bool) -> Report:
    policy = load_policy("examples/policy.yaml")
    inputs = read_inputs(["examples/input.json"])
    report = validate_inputs(
        policy, inputs, Settings(effective_time=AT), info=info, show_successes=show_successes
    )
    report.created = CREATED
    report.version = "v0.0.0-test"
    return report


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # examples/policy.yaml names its source relative to the repository root.
    monkeypatch.chdir(ROOT)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


CASES = [
    ("json", "example.json", False, False),
    ("json", "example-info.json", True, True),
    ("yaml", "example.yaml", False, False),
    ("text", "example.txt", False, False),
    ("text", "example-info.txt", True, True),
    ("summary", "example-summary.json", False, False),
    ("appstudio", "example-appstudio.json", False, False),
]


@pytest.mark.usefixtures("in_root")
@pytest.mark.parametrize(("fmt", "golden", "info", "successes"), CASES, ids=[c[1] for c in CASES])
def test_format_matches_golden(fmt: str, golden: str, info: bool, successes: bool) -> None:
    check_golden(golden, render(example_report(info=info, show_successes=successes), fmt))


@pytest.mark.usefixtures("in_root")
def test_hacbs_is_an_alias_of_appstudio() -> None:
    report = example_report(info=False, show_successes=False)
    assert render(report, "hacbs") == render(report, "appstudio")


@pytest.mark.usefixtures("in_root")
def test_yaml_and_json_carry_the_same_document() -> None:
    report = example_report(info=True, show_successes=True)
    assert yaml.safe_load(render(report, "yaml")) == json.loads(render(report, "json"))


@pytest.mark.usefixtures("in_root")
def test_text_color_wraps_indicators_in_ansi_codes() -> None:
    text = render(example_report(info=False, show_successes=False), "text", color=True)
    assert "\x1b[31m✕\x1b[0m \x1b[31m[Violation] labels.required_labels\x1b[0m" in text


@pytest.mark.usefixtures("in_root")
def test_unknown_format_is_rejected() -> None:
    with pytest.raises(ValueError, match="'xml' is not a valid report format"):
        render(example_report(info=False, show_successes=False), "xml")


@pytest.mark.usefixtures("in_root")
def test_hidden_warnings_are_null_in_json() -> None:
    report = example_report(info=False, show_successes=False)
    report.show_warnings = False
    assert json.loads(render(report, "json"))["filepaths"][0]["warnings"] is None


def test_metadata_keys_are_sorted_like_a_go_map() -> None:
    result = Result("m", {"title": "T", "code": "c.r", "collections": ["x"]})
    assert list(result.to_dict()["metadata"]) == ["code", "collections", "title"]
