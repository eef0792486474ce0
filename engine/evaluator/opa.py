"""The default backend: OPA embedded in-process through `opa_bindings` (an `Evaluator`).

Design constraints of the bridge, and how we meet them:
- each distinct query string is prepared once and preparing recompiles every
  loaded module (~1 s for ~170 files): the query set is fixed — one query per
  entry point — and the core narrows work with `select` (read by the
  `konflux.selected` builtin from its generated aggregate module), not with
  new query strings;
- builtin errors abort the evaluation: modules are rewritten to lenient
  wrappers (see `lenient`), and what still errors is raised as a typed
  `EvaluationError` naming the location and the builtin;
- evaluations on one engine are serialized: the core's pool holds several.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from typing import Any

from konflux.engine.errors import EvaluationError, RegoError
from konflux.engine.evaluator import lenient
from konflux.engine.evaluator._bridge import BridgeEngine, OpaError, opa_error_lines
from konflux.engine.evaluator.base import SELECTED_BUILTIN, QueryResult
from konflux.engine.evaluator.builtins import Builtin, BuiltinRegistry, default_registry

TRACE = 5  # logrus's trace level, below DEBUG (konflux.cli.logs names it)

log = logging.getLogger("konflux.rego")

_ERROR = re.compile(
    r"^(?P<code>[\w ]+?): (?:\d+ errors? occurred: )?(?:(?P<loc>[^\s]+?:\d+(?::\d+)?): )?"
    r"(?P<kind>[a-z_]+)?:? ?(?P<rest>.*)$",
    re.DOTALL,
)
_BUILTIN_KINDS = {"eval_builtin_error", "eval_type_error"}


def parse_error(exc: OpaError, *, compile_phase: bool = False) -> EvaluationError | RegoError:
    """Turn a bridge error into a typed error carrying location and builtin name."""
    text = f"{exc.code}: {exc.message}"
    m = _ERROR.match(text)
    location = m.group("loc") if m else None
    builtin = None
    if m and m.group("kind") in _BUILTIN_KINDS:
        builtin = m.group("rest").split(":", 1)[0].strip()
        builtin = builtin.replace("data.konflux_lenient.call__", "").replace("__", ".")
    message = exc.message.strip()
    if compile_phase or exc.code in {"prepare_error", "compile_error", "parse_error"}:
        return RegoError(f"Rego compilation failed: {message}")
    return EvaluationError(message, location=location, builtin=builtin)


class OpaEvaluator:
    """One embedded OPA engine with our custom builtins and lenient builtin wrappers.

    Build it through the evaluation core (`PreparedPolicy`), which owns the
    aggregate module, the capability check and the pool; `lenient_builtins`
    off is only for measuring the rewrite (`bench/lenient.py`).
    """

    def __init__(self, registry: BuiltinRegistry | None = None, *, lenient_builtins: bool = True):
        self.registry = registry or default_registry()
        self._engine = BridgeEngine()
        self._prints: list[tuple[str, str]] = []
        self._engine.print_handler = lambda msg, loc: self._prints.append((msg, loc))
        self._selected: Collection[str] | None = None
        self._lenient = lenient_builtins
        self._validity: lenient.BuiltinValidity | None = None
        self.modules: dict[str, str] = {}
        self.generated_paths: frozenset[str] = frozenset()
        for builtin in self.registry.builtins.values():
            self._register(builtin)
        self._engine.register_function(SELECTED_BUILTIN, self._is_selected, arity=1)
        if lenient_builtins:
            self._validity = lenient.BuiltinValidity()
            self._engine.register_function(lenient.VALIDITY_BUILTIN, self._validity, arity=2)
            self._add(lenient.MODULE_PATH, lenient.module_source())
            self.generated_paths = frozenset({lenient.MODULE_PATH})

    def _is_selected(self, key: str) -> bool:
        return self._selected is None or key in self._selected

    def _add(self, path: str, source: str) -> None:
        try:
            self._engine.add_policy(path, source)
        except OpaError as exc:
            # OPA names the file and line itself (`path:6: rego_parse_error: ...`).
            errors = opa_error_lines(exc.message) or [exc.message.strip()]
            located = all(e.startswith(f"{path}:") for e in errors)
            text = "\n".join(errors) if located else f"{path}: {'; '.join(errors)}"
            raise RegoError(text) from None

    def add_module(self, path: str, source: str) -> None:
        """Add a Rego module; parse errors raise `RegoError` naming the file and line."""
        self.modules[path] = source
        self._add(path, lenient.rewrite(source) if self._lenient else source)

    def add_data(self, data: dict[str, Any], path: str = "") -> None:
        try:
            self._engine.add_data(data, path)
        except OpaError as exc:
            raise RegoError(f"data conflict at {path or 'data'}: {exc.message}") from None

    def _register(self, builtin: Builtin) -> None:
        self._engine.register_function(
            builtin.name, self.registry.dispatcher(builtin.name), arity=builtin.arity
        )

    def evaluate(
        self,
        entrypoint: str,
        input: Any = None,
        *,
        select: Collection[str] | None = None,
        coverage: bool = False,
    ) -> QueryResult:
        """Evaluate `data.<entrypoint>`; `select` restricts generated aggregates to those keys."""
        self._prints = []
        self._selected = select
        trace = log.isEnabledFor(TRACE) and not coverage
        try:
            rows = self._engine.eval_query(
                f"x = data.{entrypoint}", input, coverage=coverage, trace=trace
            )
        except OpaError as exc:
            raise parse_error(exc) from None
        finally:
            self._selected = None
            if trace:
                self._log_trace(self._engine.last_trace or [])
        result = QueryResult(prints=list(self._prints))
        if self._prints and log.isEnabledFor(logging.DEBUG):
            for msg, loc in self._prints:  # as ec: `[data.pkg.rule] file:line: message`
                log.debug("[%s] %s: %s", self._rule_path(loc), loc, msg)
        if coverage:
            result.coverage = self._engine.last_coverage
        if rows:
            result.value, result.defined = rows[0]["x"], True
        return result

    def _rule_path(self, location: str) -> str:
        """`data.<package>.<rule>` of the rule whose body holds `location` (file:line)."""
        from konflux.engine.policy.modules import parse_module

        file, _, line = location.rpartition(":")
        source = self.modules.get(file)
        if source is None or not line.isdigit():
            return location
        try:
            module = parse_module(file, source)
        except RegoError:
            return location
        heads = [r for r in module.rules if r.line <= int(line)]
        name = max(heads, key=lambda r: r.line).name if heads else ""
        return ".".join(p for p in ("data", module.package, name) if p)

    def _log_trace(self, events: list[dict[str, Any]]) -> None:
        """OPA's trace events as `ec --trace=opa` logs them: `[data.pkg.rule] Op node`, a
        rule's events under its data path, entering a rule named by it."""
        for event in events:
            op, node = event.get("op", ""), str(event.get("node") or "")
            label = "query"
            if event.get("query_id"):
                label = self._rule_path(str(event.get("location") or ""))
                rule = label.rpartition(".")[2]
                if op == "Enter" and label.startswith("data.") and node.startswith(f"{rule} "):
                    node = label
            log.log(TRACE, "[%s] %s %s", label, op, node)

    def close(self) -> None:
        self._engine.close()
        if self._validity is not None:
            self._validity.close()
