"""The Konflux policy engine: Conforma (`ec`) semantics over embedded OPA.

The public surface is small: load a policy, evaluate inputs, render a report,
run policy tests, and the evaluation core every one of them (and the webhook,
and the controllers' gates) goes through: `PreparedPolicy`. Everything else
is an implementation detail.
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
from konflux.engine.policy.files import PolicyFiles, load_paths
from konflux.engine.policy.spec import Policy, load_policy
from konflux.engine.prepared import Answer, Entry, PreparedPolicy, SelectBy, rule_entries
from konflux.engine.report import Outcome, Report, Result
from konflux.engine.testing import run_tests
from konflux.engine.validate import read_inputs, validate_inputs

__all__ = [
    "Answer",
    "Entry",
    "EvaluationError",
    "InputError",
    "KonfluxError",
    "NoResultsError",
    "Outcome",
    "Policy",
    "PolicyEvaluator",
    "PolicyFiles",
    "PolicyLoadError",
    "PolicySchemaError",
    "PreparedPolicy",
    "RegoError",
    "Report",
    "Result",
    "SelectBy",
    "Settings",
    "SourceError",
    "load_paths",
    "load_policy",
    "parse_effective_time",
    "read_inputs",
    "render",
    "rule_entries",
    "run_tests",
    "validate_inputs",
]
