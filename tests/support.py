"""Shared test support: small Rego policy directories, policies built from them, the CLI runner.

Test modules import helpers from here (`from support import ...`); `conftest.py`
re-exports the fixtures, so no test imports `conftest` (several exist).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from konflux.engine import Outcome, PolicyEvaluator, Settings, load_policy
from konflux.testing import YAML_ALIAS_BOMB  # noqa: F401 - the tests import it from here

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
# Every evaluation in the suite happens at this instant unless a test says otherwise.
AT = datetime(2026, 1, 1, tzinfo=UTC)

# A package with three annotated rules in different collections and with terms:
#   pkg.a  deny, term "t1", collection c1
#   pkg.b  deny, term "t2", collection c2
#   pkg.c  warn, no term,   collection c1
# and a second package `other` with one deny rule.
SELECTION_REGO = {
    "pkg.rego": """
        package pkg

        import rego.v1

        # METADATA
        # title: Rule A
        # description: Rule A checks a.
        # custom:
        #   short_name: a
        #   collections: [c1]
        deny contains {"code": "pkg.a", "msg": "a failed", "term": "t1"} if input.fail_a

        # METADATA
        # title: Rule B
        # description: Rule B checks b.
        # custom:
        #   short_name: b
        #   collections: [c2]
        deny contains {"code": "pkg.b", "msg": "b failed", "term": "t2"} if input.fail_b

        # METADATA
        # title: Rule C
        # description: Rule C checks c.
        # custom:
        #   short_name: c
        #   collections: [c1]
        warn contains {"code": "pkg.c", "msg": "c warned"} if input.warn_c
    """,
    "other.rego": """
        package other

        import rego.v1

        # METADATA
        # title: Rule D
        # description: Rule D checks d.
        # custom:
        #   short_name: d
        deny contains {"code": "other.d", "msg": "d failed"} if input.fail_d
    """,
}

ALL_FAIL = {"fail_a": True, "fail_b": True, "warn_c": True, "fail_d": True}


def write_rego(directory: Path, modules: dict[str, str]) -> Path:
    """Write Rego modules (name -> source, dedented) below `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, source in modules.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return directory


def policy_document(
    policy_dir: Path | str,
    *,
    config: dict[str, Any] | None = None,
    volatile: dict[str, Any] | None = None,
    rule_data: dict[str, Any] | None = None,
    spec_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    source: dict[str, Any] = {"name": "test", "policy": [str(policy_dir)]}
    if config is not None:
        source["config"] = config
    if volatile is not None:
        source["volatileConfig"] = volatile
    if rule_data is not None:
        source["ruleData"] = rule_data
    spec: dict[str, Any] = {"sources": [source], **(spec_extra or {})}
    return {
        "apiVersion": "appstudio.redhat.com/v1alpha1",
        "kind": "EnterpriseContractPolicy",
        "metadata": {"name": "test"},
        "spec": spec,
    }


PolicyMaker = Callable[..., Path]


@pytest.fixture
def make_policy(tmp_path: Path) -> PolicyMaker:
    """Write Rego modules and an EnterpriseContractPolicy YAML using them; return the YAML path."""
    counter = iter(range(1000))

    def make(modules: dict[str, str] = SELECTION_REGO, **kwargs: Any) -> Path:
        n = next(counter)
        policy_dir = write_rego(tmp_path / f"policy{n}", modules)
        path = tmp_path / f"policy{n}.yaml"
        path.write_text(yaml.safe_dump(policy_document(policy_dir, **kwargs)), encoding="utf-8")
        return path

    return make


def evaluate(policy_path: Path | str, input: Any, *, at: datetime = AT, **kw: Any) -> Outcome:
    evaluator = PolicyEvaluator(load_policy(str(policy_path)), Settings(effective_time=at))
    try:
        return evaluator.evaluate(input, **kw)
    finally:
        evaluator.close()


@pytest.fixture
def run_policy(make_policy: PolicyMaker) -> Callable[..., Outcome]:
    """Build a policy from modules + config and evaluate one input against it."""

    def run(
        input: Any = ALL_FAIL,
        modules: dict[str, str] = SELECTION_REGO,
        *,
        at: datetime = AT,
        **kwargs: Any,
    ) -> Outcome:
        return evaluate(make_policy(modules, **kwargs), input, at=at)

    return run


def codes(results: list[Any]) -> list[str]:
    return [r.code for r in results]


def reported(outcome: Outcome) -> set[str]:
    """Codes of every violation and warning."""
    return {r.code for r in outcome.violations + outcome.warnings if r.code}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


class ProgressRecorder:
    """A `konflux.engine.progress.Progress` that remembers every call, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def start(self, phase: str, total: int | None = None) -> None:
        self.calls.append(("start", phase, total))

    def advance(self, n: int = 1, *, failed: int = 0) -> None:
        self.calls.append(("advance", n, failed))

    def note(self, text: str) -> None:
        self.calls.append(("note", text))
