"""Typed errors of the engine: each names what failed and where, so a user can act."""

from __future__ import annotations


class KonfluxError(Exception):
    """Base of every error the engine raises on purpose."""


class PolicyLoadError(KonfluxError):
    """A policy (EnterpriseContractPolicy) or one of its sources could not be loaded."""


class PolicySchemaError(PolicyLoadError):
    """A policy document does not match the EnterpriseContractPolicy spec schema."""


class SourceError(PolicyLoadError):
    """A policy or data source URL is unsupported or could not be fetched."""


class RegoError(PolicyLoadError):
    """Rego modules failed to parse or compile, or their annotations are inconsistent."""


class InputError(KonfluxError):
    """An input document could not be read or parsed."""


class EvaluationError(KonfluxError):
    """The evaluator could not complete a query."""

    def __init__(self, message: str, *, location: str | None = None, builtin: str | None = None):
        super().__init__(message)
        self.location = location
        self.builtin = builtin


class NoResultsError(KonfluxError):
    """An evaluation produced no successes, warnings or failures."""


class BackendMissingError(KonfluxError):
    """The embedded OPA backend is not installed."""
