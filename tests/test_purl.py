"""`ec.purl.parse` and `ec.purl.is_valid`, called from Rego as policies call them."""

from __future__ import annotations

from typing import Any

import pytest

from konflux.engine.policy.files import PolicyFiles
from konflux.engine.policy.modules import parse_module
from konflux.engine.prepared import Entry, PreparedPolicy

MODULE = """
package purl

import rego.v1

valid := ec.purl.is_valid(input)

parsed := ec.purl.parse(input)
"""


@pytest.fixture(scope="module")
def evaluator():
    prepared = PreparedPolicy(
        PolicyFiles([parse_module("purl.rego", MODULE)]), [Entry("purl", "purl", whole=True)]
    )
    yield prepared
    prepared.close()


def query(evaluator: PreparedPolicy, purl: Any) -> dict[str, Any]:
    return evaluator.evaluate(purl).raise_errors().value("purl")


def test_is_valid_true_for_valid_purl(evaluator) -> None:
    assert query(evaluator, "pkg:rpm/redhat/openssl@3.0.7-18.el9?arch=x86_64")["valid"] is True


def test_is_valid_false_for_invalid_purl(evaluator) -> None:
    assert query(evaluator, "not a purl")["valid"] is False


def test_is_valid_false_for_non_string(evaluator) -> None:
    assert query(evaluator, 42)["valid"] is False


def test_parse_returns_ec_shape(evaluator) -> None:
    parsed = query(evaluator, "pkg:rpm/redhat/openssl@3.0.7-18.el9?distro=rhel-9&arch=x86_64")
    assert parsed["parsed"] == {
        "type": "rpm",
        "namespace": "redhat",
        "name": "openssl",
        "version": "3.0.7-18.el9",
        "qualifiers": [
            {"key": "arch", "value": "x86_64"},
            {"key": "distro", "value": "rhel-9"},
        ],
        "subpath": "",
    }


def test_parse_fills_missing_parts_with_empty_strings(evaluator) -> None:
    assert query(evaluator, "pkg:pypi/requests")["parsed"] == {
        "type": "pypi",
        "namespace": "",
        "name": "requests",
        "version": "",
        "qualifiers": [],
        "subpath": "",
    }


def test_parse_keeps_subpath(evaluator) -> None:
    parsed = query(evaluator, "pkg:golang/github.com/org/mod@v1.2.3#sub/dir")["parsed"]
    assert (parsed["namespace"], parsed["name"], parsed["subpath"]) == (
        "github.com/org",
        "mod",
        "sub/dir",
    )


def test_parse_of_invalid_purl_is_undefined(evaluator) -> None:
    assert "parsed" not in query(evaluator, "not a purl")


def test_parse_of_non_string_is_undefined(evaluator) -> None:
    assert "parsed" not in query(evaluator, {"a": 1})
