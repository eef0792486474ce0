"""Reports as `ec` writes them: the `policy` it names, the policy input, JUnit, YAML."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

from click.testing import CliRunner
from image_support import ROOT, Publisher, Signer

from konflux.cli.main import cli
from konflux.engine.image.input import ImageFacts, policy_input
from konflux.engine.output.documents import policy_document
from konflux.engine.output.formats import render
from konflux.engine.output.junit import case_name, junit_report
from konflux.engine.policy.spec import with_flag_overrides
from konflux.engine.report import Outcome, Report, Result, TargetReport

SOURCES = [str(ROOT / "examples/rego/image"), str(ROOT / "examples/rego/lib")]
RULE_DATA = {"required_labels": ["name"], "allowed_builder_ids": ["https://tekton.dev/chains/v2"]}


def policy_with(**spec) -> str:
    return json.dumps({"sources": [{"policy": SOURCES, "ruleData": RULE_DATA}], **spec})


def key_file(tmp_path: Path, signer: Signer) -> str:
    path = tmp_path / "cosign.pub"
    path.write_text(signer.public_pem)
    return str(path)


def validate(*args: str):
    return CliRunner().invoke(cli, ["validate", "image", *args])


# -- the report's `policy` -----------------------------------------------------------------------


def test_report_policy_has_the_flags_public_key_rekor_url_and_merged_rule_data(
    tmp_path, publisher: Publisher, signer: Signer
):
    ref = publisher.release_ready("fields/policy", signer)
    key = key_file(tmp_path, signer)
    result = validate(
        "--image", str(ref), "--policy", policy_with(), "--public-key", key,
        "--rekor-url", "https://rekor.example", "--extra-rule-data", "zeta=1",
        "--ignore-rekor", "-o", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    policy = doc["policy"]
    assert list(policy) == ["sources", "rekorUrl", "publicKey"]
    assert policy["publicKey"] == key  # the flag's value, as ec reports it
    assert policy["rekorUrl"] == "https://rekor.example"
    (source,) = policy["sources"]
    assert source["ruleData"] == {**RULE_DATA, "zeta": "1"}
    assert list(source["ruleData"]) == sorted(source["ruleData"])
    assert source["policy"] == [f"file::{p}" for p in SOURCES]  # pinned as go-gather names it
    assert doc["key"] == signer.public_pem


def test_keyless_flags_clear_the_policys_public_key() -> None:
    spec = {"sources": [], "publicKey": "k8s://ns/key"}
    assert "publicKey" not in with_flag_overrides(spec, keyless_flags=True)
    assert with_flag_overrides(spec, public_key="cosign.pub")["publicKey"] == "cosign.pub"
    assert with_flag_overrides(spec)["publicKey"] == "k8s://ns/key"


def test_policy_document_is_go_struct_order_without_empty_or_unknown_fields() -> None:
    spec = {
        "publicKey": "k",
        "sources": [{"config": {"include": ["a"], "exclude": []}, "policy": ["p"], "name": ""}],
        "bogus": 1,
        "description": "d",
        "identity": {"issuer": "i", "subject": "s"},
    }
    doc = policy_document(spec)
    assert list(doc) == ["description", "sources", "publicKey", "identity"]
    assert doc["sources"] == [{"policy": ["p"], "config": {"include": ["a"]}}]
    assert list(doc["identity"]) == ["subject", "issuer"]


# -- the policy input -------------------------------------------------------------------------


def test_policy_input_has_ecs_always_present_fields() -> None:
    facts = ImageFacts(ref="r@sha256:1")
    snapshot = {"components": [{"name": "c", "containerImage": "r@sha256:1"}], "extra": 1}
    doc = policy_input(facts, snapshot, "c", {"sources": [{"policy": ["git::x?ref=1"]}]})
    assert doc["image"]["source"] == {}
    assert doc["snapshot"] == {
        "application": "",
        "components": [{"name": "c", "containerImage": "r@sha256:1", "source": {}}],
        "artifacts": {},
    }
    assert doc["policy_spec"] == {"sources": [{"policy": ["git::x?ref=1"]}]}
    assert policy_input(facts, snapshot, "", {})["policy_spec"] == {}


def test_policy_input_output_names_the_pinned_policy(tmp_path, publisher, signer) -> None:
    ref = publisher.release_ready("fields/input", signer)
    result = validate(
        "--image", str(ref), "--policy", policy_with(), "--public-key", key_file(tmp_path, signer),
        "--ignore-rekor", "-o", "policy-input",
    )  # fmt: skip
    doc = json.loads(result.stdout)
    assert doc["policy_spec"]["sources"][0]["policy"] == [f"file::{p}" for p in SOURCES]
    assert doc["snapshot"]["components"][0]["source"] == {}


# -- JUnit and YAML -------------------------------------------------------------------------------


def test_junit_case_names_show_only_reported_metadata_in_go_form() -> None:
    r = Result(
        "Fails", {"code": "main.rule", "term": ["a", "b"], "title": "T", "effective_on": "x"}
    )
    assert case_name(r, info=False) == "main.rule: Fails [effective_on=x, term=[a b]]"
    assert case_name(r, info=True) == "main.rule: Fails [effective_on=x, term=[a b], title=T]"


def test_junit_is_compact_go_xml_with_cdata_and_escaped_key() -> None:
    outcome = Outcome(
        violations=[Result("bad <x>", {"code": "p.v"})],
        warnings=[Result("meh", {"code": "p.w"})],
        successes=[Result("Pass", {"code": "p.s"})],
    )
    report = Report(
        targets=[TargetReport("comp", outcome, image="r@sha256:1", signatures=[])],
        policy={},
        effective_time=datetime(2026, 1, 1, tzinfo=UTC),
        created=datetime(2026, 1, 2, tzinfo=UTC),
        kind="image",
        key="-----BEGIN\nKEY-----\n",
    )
    text = junit_report(report)
    assert text.startswith('<testsuites tests="3" failures="1" skipped="1">')
    assert 'value="-----BEGIN&#xA;KEY-----&#xA;"' in text
    assert '<failure message="bad &lt;x&gt;"><![CDATA[bad <x>]]></failure>' in text
    suite = ET.fromstring(text).find("testsuite")
    assert [suite.get(k) for k in ("name", "errors", "id", "time")] == [
        "comp (r@sha256:1)",
        "0",
        "0",
        "",
    ]
    assert suite.find("testcase/skipped").text == "meh"


def test_yaml_double_quotes_strings_that_read_as_other_types() -> None:
    report = Report(
        targets=[TargetReport("f", Outcome(successes=[Result("Pass", {"code": "a.b"})]))],
        policy={},
        effective_time=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert 'effective-time: "2026-01-01T00:00:00Z"' in render(report, "yaml")
