"""Typed errors of the controllers (all are `KonfluxError`s)."""

from __future__ import annotations

from konflux.engine.errors import KonfluxError


class ControllerError(KonfluxError):
    """A controller could not do its work; the message says which object and why."""


class ConfigurationError(ControllerError):
    """A resource the controllers read is malformed (named in the message)."""
