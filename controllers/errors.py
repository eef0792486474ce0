"""Typed errors of the controllers (all are `KonfluxError`s)."""

from __future__ import annotations

from konflux.engine.errors import KonfluxError


class ControllerError(KonfluxError):
    """A controller could not do its work; the message says which object and why."""


class KubeApiError(ControllerError):
    """The Kubernetes API answered a request with an error status."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        self.status = status
        super().__init__(f"{method} {path} failed with HTTP {status}: {body[:500]}")


class ConfigurationError(ControllerError):
    """A resource the controllers read is malformed (named in the message)."""
