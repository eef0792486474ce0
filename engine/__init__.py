"""The Konflux policy engine: Conforma (`ec`) semantics over embedded OPA.

The public surface is small: load a policy, evaluate inputs, render a report,
run policy tests. Everything else is an implementation detail.
"""

from konflux.engine.errors import (
    EvaluationError,
    InputError,
    KonfluxError,
    NoResultsError,
    PolicyLoadError,
    PolicySchemaError,
    RegoError,
    SourceError,
)
from konflux.engine.evaluation import PolicyEvaluator, Settings, parse_effective_time
from konflux.engine.output.formats import render
from konflux.engine.policy.spec import Policy, load_policy
from konflux.engine.report import Outcome, Report, Result
from konflux.engine.testing import run_tests
from konflux.engine.validate import read_inputs, validate_inputs

__all__ = [
    "EvaluationError",
    "InputError",
    "KonfluxError",
    "NoResultsError",
    "Outcome",
    "Policy",
    "PolicyEvaluator",
    "PolicyLoadError",
    "PolicySchemaError",
    "RegoError",
    "Report",
    "Result",
    "Settings",
    "SourceError",
    "load_policy",
    "parse_effective_time",
    "read_inputs",
    "render",
    "run_tests",
    "validate_inputs",
]
