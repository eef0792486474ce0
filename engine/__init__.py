"""The Konflux policy engine: Conforma (`ec`) semantics over embedded OPA.

The public surface is small: load a policy, evaluate inputs, render a report,
run policy tests. Everything else is an implementation detail.

Names are imported on first use (PEP 562): importing one light submodule
(`konflux.engine.errors`) must not load the OPA bindings, jsonschema and the
registry client, so that `konflux --help` starts quickly.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "EvaluationError": "konflux.engine.errors",
    "InputError": "konflux.engine.errors",
    "KonfluxError": "konflux.engine.errors",
    "NoResultsError": "konflux.engine.errors",
    "PolicyLoadError": "konflux.engine.errors",
    "PolicySchemaError": "konflux.engine.errors",
    "RegoError": "konflux.engine.errors",
    "SourceError": "konflux.engine.errors",
    "PolicyEvaluator": "konflux.engine.evaluation",
    "Settings": "konflux.engine.evaluation",
    "parse_effective_time": "konflux.engine.evaluation",
    "render": "konflux.engine.output.formats",
    "Policy": "konflux.engine.policy.spec",
    "load_policy": "konflux.engine.policy.spec",
    "Outcome": "konflux.engine.report",
    "Report": "konflux.engine.report",
    "Result": "konflux.engine.report",
    "run_tests": "konflux.engine.testing",
    "read_inputs": "konflux.engine.validate",
    "validate_inputs": "konflux.engine.validate",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'konflux.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
