"""The evaluator interface: everything the engine asks of a Rego backend, and nothing more.

The only caller is the evaluation core (`engine/prepared.py`), which builds
backends through an `EvaluatorFactory` and drives them only through
`Evaluator`. A second backend (an OPA server, regorus) is therefore one new
class satisfying both, passed as `PreparedPolicy(..., backend=NewBackend)`;
no caller changes.

What a backend must provide:
- modules and data, added before the first evaluation;
- the custom builtins of the `BuiltinRegistry` it is built with, looked up by
  name at call time (the registry memoizes per run, see `builtins`);
- the builtin `konflux.selected(key)`, true for the keys of the current
  evaluation's `select` (every key when `select` is None): the generated
  aggregate guards its rules with it, so one prepared query serves any
  selection (docs/architecture.md, "Fixed queries");
- `evaluate(entrypoint)`: the value of `data.<entrypoint>`. Entry points come
  from a small fixed set, so a backend may prepare each once and reuse it;
- typed errors: `RegoError` for modules that do not parse or compile (naming
  file and line), `EvaluationError` for a failed evaluation (with `location`
  and `builtin` when known).

One evaluator runs one evaluation at a time; concurrency comes from several
evaluators (the core's pool).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Protocol

from konflux.engine.evaluator.builtins import BuiltinRegistry

SELECTED_BUILTIN = "konflux.selected"


@dataclass
class QueryResult:
    """The value of one entry point (`defined` False when undefined), and what the run printed."""

    value: Any = None
    defined: bool = False
    prints: list[tuple[str, str]] = field(default_factory=list)
    coverage: dict[str, Any] | None = None


class Evaluator(Protocol):
    # Paths of modules the backend adds on its own (left out of coverage reports).
    generated_paths: Collection[str]

    def add_module(self, path: str, source: str) -> None: ...

    def add_data(self, data: dict[str, Any], path: str = "") -> None: ...

    def evaluate(
        self,
        entrypoint: str,
        input: Any = None,
        *,
        select: Collection[str] | None = None,
        coverage: bool = False,
    ) -> QueryResult: ...

    def close(self) -> None: ...


class EvaluatorFactory(Protocol):
    """How the core makes a backend: from the custom builtins it must expose."""

    def __call__(self, registry: BuiltinRegistry) -> Evaluator: ...
