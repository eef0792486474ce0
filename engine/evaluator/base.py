"""The evaluator interface: what the engine needs from a Rego backend, nothing more.

Callers (policy evaluation, `policy test`, the webhook) use only this
protocol, so another backend (an OPA server, regorus) can be added without
touching them. Entry points are data paths from a small fixed set: backends
may prepare each once and reuse it for every evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from konflux.engine.evaluator.builtins import Builtin


@dataclass
class QueryResult:
    """The value of one entry point (`defined` False when undefined), and what the run printed."""

    value: Any = None
    defined: bool = False
    prints: list[tuple[str, str]] = field(default_factory=list)
    coverage: dict[str, Any] | None = None


class Evaluator(Protocol):
    def add_module(self, path: str, source: str) -> None: ...

    def add_data(self, data: dict[str, Any], path: str = "") -> None: ...

    def register_builtin(self, builtin: Builtin) -> None: ...

    def evaluate(
        self, entrypoint: str, input: Any = None, *, coverage: bool = False
    ) -> QueryResult: ...

    def close(self) -> None: ...
