"""Error paths: each failure names what failed and where, with a typed error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from support import evaluate, policy_document, write_rego

from konflux.engine import (
    PolicyLoadError,
    PolicySchemaError,
    RegoError,
    SourceError,
    load_policy,
)
from konflux.engine.policy.sources import fetch


def test_malformed_yaml_policy_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("spec:\n  sources:\n    - policy: [a\n  b: : c\n", encoding="utf-8")
    with pytest.raises(PolicyLoadError, match=rf"^{re.escape(str(path))}:4:\d+: invalid YAML"):
        load_policy(str(path))


def test_unknown_spec_key_is_a_schema_error(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({"sources": [{"policy": ["x"]}], "bogus": 1}))
    with pytest.raises(PolicySchemaError, match="'bogus' was unexpected"):
        load_policy(str(path))


def test_unknown_source_config_key_names_its_path(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({"sources": [{"policy": ["x"], "config": {"inclde": []}}]}))
    with pytest.raises(PolicySchemaError, match=r"spec\.sources\.0\.config: .*'inclde'"):
        load_policy(str(path))


def test_wrong_kind_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({"kind": "Pod", "spec": {}}))
    expected = "expected kind EnterpriseContractPolicy, got 'Pod'$"
    with pytest.raises(PolicySchemaError, match=expected):
        load_policy(str(path))


def test_missing_policy_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyLoadError, match="no such file"):
        load_policy(str(tmp_path / "absent.yaml"))


def _policy_with_source(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy_document(url)), encoding="utf-8")
    return path


def test_rego_syntax_error_names_the_file(tmp_path: Path) -> None:
    bad = write_rego(tmp_path / "p", {"bad.rego": "package bad\n\ndeny contains x if {\n  x := \n"})
    where = re.escape(str(bad / "bad.rego"))
    with pytest.raises(RegoError, match=rf"{where}:\d+: rego_parse_error"):
        evaluate(_policy_with_source(tmp_path, str(bad)), {})


def test_module_without_package_is_a_rego_error(tmp_path: Path) -> None:
    bad = write_rego(tmp_path / "p", {"nopkg.rego": "deny contains 1 if true\n"})
    with pytest.raises(RegoError, match="no package declaration"):
        evaluate(_policy_with_source(tmp_path, str(bad)), {})


def test_unknown_source_scheme_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^s3::bucket/policy: unsupported source scheme"):
        fetch("s3::bucket/policy", tmp_path)


def test_unreachable_oci_source_names_the_source(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^oci::127\.0\.0\.1:9/org/policy:1: "):
        fetch("oci::127.0.0.1:9/org/policy:1", tmp_path)


def test_plain_http_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="plain http sources are refused"):
        fetch("http://example.com/policy.tar.gz", tmp_path)


def test_plain_http_git_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="plain http sources are refused"):
        fetch("git::http://example.com/repo.git//policy", tmp_path)


def test_missing_local_source_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or directory"):
        fetch(str(tmp_path / "absent"), tmp_path)


def test_unsupported_source_in_policy_fails_evaluator_setup(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="s3::bucket"):
        evaluate(_policy_with_source(tmp_path, "s3::bucket"), {})


def test_duplicate_rule_code_is_a_rego_error(tmp_path: Path) -> None:
    rule = """
        package dup

        import rego.v1

        # METADATA
        # custom:
        #   short_name: same
        deny contains "x" if false
    """
    src = write_rego(tmp_path / "p", {"one.rego": rule, "two.rego": rule})
    with pytest.raises(RegoError, match=r"duplicate rule code 'dup\.same'"):
        evaluate(_policy_with_source(tmp_path, str(src)), {})


def test_data_file_that_is_not_a_mapping_is_a_load_error(tmp_path: Path) -> None:
    src = write_rego(tmp_path / "p", {"data.json": "[1, 2]"})
    with pytest.raises(PolicyLoadError, match="a data document must be a mapping"):
        evaluate(_policy_with_source(tmp_path, str(src)), {})
