"""The one evaluation core: loaded Rego prepared once, evaluated by many callers.

OPA's `PreparedEvalQuery` idea. `PreparedPolicy` takes loaded policy files
and data, the entry rules callers want answered and how they select among
them, and owns everything between that and an answer:

- the capability check (no `http.send`, `net.lookup_ip_addr`, `opa.runtime`)
  on every module, for evaluation and `policy test` alike;
- one generated aggregate module (`konflux/prepared.rego`): one guarded rule
  per entry, so a single prepared query, `x = data.konflux_prepared.results`,
  answers any selection of entries (docs/architecture.md, "Fixed queries":
  each distinct query string recompiles every module);
- the per-key fallback: when an evaluation errors, each selected key is
  evaluated alone, so one failing rule costs only its own key;
- a pool of engines (`engine/pool.py`): threads borrow them, asyncio callers
  submit jobs that the pool batches (`with input as`, one OPA call for many
  inputs) when entries are selected through the input.

`validate input/image` (ec's `deny`/`warn` sets per package), `policy test`
(one value per test), the admission webhook (deny/warn/patch per endpoint)
and the controllers' gates (`deny` sets and rules whose value is data) are
all entries of a `PreparedPolicy`.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from konflux.engine.errors import EvaluationError
from konflux.engine.evaluator.base import Evaluator, EvaluatorFactory
from konflux.engine.evaluator.builtins import (
    Builtin,
    BuiltinFn,
    BuiltinRegistry,
    default_registry,
)
from konflux.engine.evaluator.capabilities import check_allowed
from konflux.engine.evaluator.opa import OpaEvaluator
from konflux.engine.policy.files import PolicyFiles
from konflux.engine.policy.modules import RegoModule
from konflux.engine.pool import EnginePool

AGGREGATE_PACKAGE = "konflux_prepared"
AGGREGATE_PATH = "konflux/prepared.rego"
RESULTS = f"{AGGREGATE_PACKAGE}.results"
BATCH = f"{AGGREGATE_PACKAGE}.batch"
# Input fields the core sets when entries are selected through the input (`SelectBy.INPUT`).
SELECT_FIELD = "konflux_select"
BATCH_FIELD = "konflux_batch"
# How long a lone asyncio caller waits for its answer on its own thread before it lets the
# event loop wake it (engine/pool.py `run`): ten typical evaluations, far below any deadline,
# and all another request arriving meanwhile can be held up.
DIRECT_WAIT = 0.002


class SelectBy(Enum):
    """How an evaluation tells the aggregate which entries to answer."""

    # `konflux.selected(key)`, a builtin calling back into Python once per guarded rule.
    # The input reaches the rules untouched (any JSON value): ec evaluation and tests.
    BUILTIN = "builtin"
    # `input.konflux_select[key]`, set by the core in an object input. No call into
    # Python, and several inputs can share one OPA call (`with input as`): the webhook.
    INPUT = "input"


@dataclass(frozen=True)
class Entry:
    """One rule a caller wants answered: `data.<ref>`, enabled by selecting `key`.

    `whole` False: each member of the rule's set (or array) is one result (`deny`,
    `warn`, `patch`). `whole` True: the rule's value is the result (a test's
    `true`, a gate's list of scenario names); undefined gives no result.
    """

    ref: str
    key: str
    whole: bool = False

    @property
    def package(self) -> str:
        return self.ref.rpartition(".")[0]

    @property
    def rule(self) -> str:
        return self.ref.rpartition(".")[2]


def rule_entries(
    modules: Iterable[RegoModule],
    rules: Iterable[str],
    *,
    packages: Iterable[str] | None = None,
    key: Callable[[str], str] = lambda package: package,
    whole: bool = False,
) -> list[Entry]:
    """An entry per rule named in `rules` that a module of one of `packages` defines.

    Packages default to every package of `modules`; the key defaults to the package, so
    selecting a package answers all its named rules.
    """
    defined: dict[str, set[str]] = {}
    for module in modules:
        defined.setdefault(module.package, set()).update(module.rule_names())
    wanted = list(rules)
    return [
        Entry(f"{package}.{rule}", key(package), whole)
        for package in (defined if packages is None else packages)
        for rule in wanted
        if rule in defined.get(package, set())
    ]


@dataclass
class Answer:
    """What one evaluation (with its fallbacks) answered, and which keys could not be."""

    results: list[tuple[Entry, Any]] = field(default_factory=list)
    errors: dict[str, EvaluationError] = field(default_factory=dict)  # key -> why
    prints: list[tuple[str, str]] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)  # one report per OPA call

    def values(self, ref: str) -> list[Any]:
        """The results of entry `ref`: the members of a set rule, or a whole rule's value."""
        return [value for entry, value in self.results if entry.ref == ref]

    def value(self, ref: str, default: Any = None) -> Any:
        """A whole rule's value, `default` when it is undefined (or was not selected)."""
        found = self.values(ref)
        return found[0] if found else default

    def raise_errors(self) -> Answer:
        """This answer, or the first evaluation error (for callers without per-key blame)."""
        for error in self.errors.values():
            raise error
        return self


@dataclass
class _Engine:
    """A pooled backend and the builtin registry whose memo spans one run."""

    evaluator: Evaluator
    registry: BuiltinRegistry

    def close(self) -> None:
        self.evaluator.close()


def aggregate_module(entries: Sequence[Entry], select_by: SelectBy) -> str:
    """One guarded rule per entry, yielding `[entry index, result]`; `batch` for INPUT mode."""
    rules = []
    for i, entry in enumerate(entries):
        key = json.dumps(entry.key)
        guard = (
            f"konflux.selected({key})"
            if select_by is SelectBy.BUILTIN
            else f"input.{SELECT_FIELD}[{key}]"
        )
        take = f"r := data.{entry.ref}" if entry.whole else f"some r in data.{entry.ref}"
        rules.append(f"results contains [{i}, r] if {{\n\t{guard}\n\t{take}\n}}\n")
    if select_by is SelectBy.INPUT:
        # Several inputs in one call, each answered on its own (`with input as`).
        rules.append(
            f"batch[i] := r if {{\n\tsome i, item in input.{BATCH_FIELD}\n"
            "\tr := results with input as item\n}\n"
        )
    return f"package {AGGREGATE_PACKAGE}\n\nimport rego.v1\n\n" + "\n".join(rules)


def check_capabilities(files: PolicyFiles) -> None:
    """Refuse modules calling a builtin no policy may call (`RegoError` naming file and line)."""
    for module in files.modules:
        check_allowed(module.path, module.source)


class PreparedPolicy:
    """Policy files prepared for a fixed set of entries; evaluate from any thread or coroutine.

    `size` engines at most (made when first needed; the first one now, so a module that
    does not parse fails here). `builtins` replaces custom builtin implementations by
    name (registry-backed `ec.oci.*`); `extra_builtins` adds builtins only these files call
    (conftest's `data.conftest.file`); `data` is one more document merged at the root.
    """

    def __init__(
        self,
        files: PolicyFiles,
        entries: Iterable[Entry],
        *,
        select_by: SelectBy = SelectBy.BUILTIN,
        data: dict[str, Any] | None = None,
        builtins: Mapping[str, BuiltinFn] | None = None,
        extra_builtins: Iterable[Builtin] = (),
        size: int = 1,
        batch_max: int = 16,
        backend: EvaluatorFactory = OpaEvaluator,
        name: str = "evaluator",
    ):
        check_capabilities(files)
        self.files = files
        self.entries: list[Entry] = list(dict.fromkeys(entries))
        self.keys: list[str] = list(dict.fromkeys(e.key for e in self.entries))
        self.select_by = select_by
        self._data = data
        self._builtins = dict(builtins or {})
        self._extra_builtins = list(extra_builtins)
        self._backend = backend
        self._aggregate = aggregate_module(self.entries, select_by)
        self._count = threading.Lock()
        self.calls = 0  # calls into the backend (a batch is one)
        self.evaluated = 0  # evaluations asked for (each job of a batch is one)
        self._pool: EnginePool[_Engine, tuple[Any, frozenset[str]], Answer] = EnginePool(
            self._make, size, self._run_batch, batch_max=batch_max, name=name
        )
        first = self._make()
        self.generated_paths = frozenset({AGGREGATE_PATH, *first.evaluator.generated_paths})
        self._pool.adopt(first)

    @property
    def size(self) -> int:
        return self._pool.size

    def _make(self) -> _Engine:
        registry = default_registry(self._builtins)
        for builtin in self._extra_builtins:
            registry.add(builtin)
        evaluator = self._backend(registry)
        try:
            for module in self.files.modules:
                evaluator.add_module(module.path, module.source)
            for doc in self.files.data:
                evaluator.add_data(doc.value, doc.mount)
            if self._data:
                evaluator.add_data(self._data)
            evaluator.add_module(AGGREGATE_PATH, self._aggregate)
        except BaseException:
            evaluator.close()
            raise
        return _Engine(evaluator, registry)

    # -- evaluating ----------------------------------------------------------------------------

    def evaluate(
        self, input: Any = None, select: Collection[str] | None = None, *, coverage: bool = False
    ) -> Answer:
        """Answer the entries of the `select`ed keys (None: all) for `input`, on a pooled engine.

        Never raises `EvaluationError`: a failing evaluation is retried key by key and what
        still fails is in `Answer.errors`. Thread-safe; blocks while every engine is busy.
        """
        with self._pool.borrow() as engine:
            engine.registry.new_run()
            with self._count:
                self.evaluated += 1
            return self._answer(engine, input, self._keys(select), coverage)

    async def evaluate_async(
        self,
        input: Any = None,
        select: Collection[str] | None = None,
        *,
        timeout: float,
        alone: bool = False,
    ) -> Answer:
        """`evaluate` for a coroutine: on the pool's threads, batched with other waiting jobs.

        Raises `TimeoutError` when no answer came within `timeout` seconds (the evaluation
        itself cannot be interrupted; its answer is then dropped). `alone`: the caller's
        loop has nothing else to do meanwhile, so when the pool is idle too, the answer is
        awaited on this thread for up to DIRECT_WAIT first, sparing the loop's wake-up.
        """
        job = (input, frozenset(self._keys(select)))
        return await self._pool.run(
            job, timeout=max(timeout, 0.001), direct_wait=DIRECT_WAIT if alone else 0.0
        )

    def warm(self) -> None:
        """Make every engine and prepare its queries now, so no evaluation pays for compiling."""
        self._pool.warm(self._prepare)

    def _prepare(self, engine: _Engine) -> None:
        # Straight to the backend: warming up is not an evaluation anyone asked for.
        engine.evaluator.evaluate(RESULTS, self._selected_input(None, ()), select=())
        if self.select_by is SelectBy.INPUT:
            engine.evaluator.evaluate(BATCH, {BATCH_FIELD: [{SELECT_FIELD: {}}]})

    def _keys(self, select: Collection[str] | None) -> list[str]:
        return list(self.keys) if select is None else sorted(select)

    def _call(
        self, engine: _Engine, input: Any, keys: Collection[str], coverage: bool
    ) -> tuple[Answer, Any]:
        """One call into the backend: the aggregate's rows for `keys` (raises on error)."""
        with self._count:
            self.calls += 1
        if self.select_by is SelectBy.INPUT:
            result = engine.evaluator.evaluate(
                RESULTS, self._selected_input(input, keys), coverage=coverage
            )
        else:
            result = engine.evaluator.evaluate(RESULTS, input, select=set(keys), coverage=coverage)
        answer = Answer(prints=result.prints)
        if result.coverage is not None:
            answer.coverage.append(result.coverage)
        return answer, result.value

    @staticmethod
    def _selected_input(input: Any, keys: Collection[str]) -> dict[str, Any]:
        if input is None:
            input = {}
        if not isinstance(input, dict):
            raise TypeError(
                f"entries selected through the input need an object input, not {type(input)}"
            )
        return {**input, SELECT_FIELD: dict.fromkeys(keys, True)}

    def _rows(self, answer: Answer, rows: Any) -> Answer:
        for index, value in rows or ():
            answer.results.append((self.entries[index], value))
        return answer

    def _answer(self, engine: _Engine, input: Any, keys: list[str], coverage: bool) -> Answer:
        """All `keys` in one call; if it errors, each key alone (errors blamed per key)."""
        try:
            answer, rows = self._call(engine, input, keys, coverage)
            return self._rows(answer, rows)
        except EvaluationError as exc:
            if not keys:
                raise  # nothing was selected: no entry to blame
            if len(keys) == 1:
                return Answer(errors={keys[0]: exc})
        whole = Answer()
        for key in keys:
            try:
                answer, rows = self._call(engine, input, (key,), coverage)
            except EvaluationError as exc:
                whole.errors[key] = exc
                continue
            self._rows(answer, rows)
            whole.results += answer.results
            whole.prints += answer.prints
            whole.coverage += answer.coverage
        return whole

    def _run_batch(
        self, engine: _Engine, jobs: Sequence[tuple[Any, frozenset[str]]]
    ) -> list[Answer | BaseException]:
        """Each job's answer: one call for all of them when inputs carry the selection, else
        one evaluation per job; if the shared call errors, each job alone (fair blame)."""
        engine.registry.new_run()
        with self._count:
            self.evaluated += len(jobs)
        if len(jobs) > 1 and self.select_by is SelectBy.INPUT:
            answers = self._batch(engine, jobs)
            if answers is not None:
                return answers
        outcomes: list[Answer | BaseException] = []
        for input, keys in jobs:
            try:
                outcomes.append(self._answer(engine, input, sorted(keys), False))
            except Exception as exc:  # this job's caller gets it, the others their answers
                outcomes.append(exc)
        return outcomes

    def _batch(
        self, engine: _Engine, jobs: Sequence[tuple[Any, frozenset[str]]]
    ) -> list[Answer | BaseException] | None:
        """The jobs' answers from one call, or None if that call failed in any way."""
        with self._count:
            self.calls += 1
        try:
            items = [self._selected_input(input, keys) for input, keys in jobs]
            result = engine.evaluator.evaluate(BATCH, {BATCH_FIELD: items})
        except (EvaluationError, TypeError):
            return None
        answers = result.value if result.defined else None
        if not isinstance(answers, dict) or len(answers) != len(jobs):
            return None
        try:
            return [self._rows(Answer(), answers[str(i)]) for i in range(len(jobs))]
        except (KeyError, IndexError, TypeError, ValueError):
            return None

    # -- for tools that must reach one engine (benchmarks) -----------------------------------

    @contextlib.contextmanager
    def borrow(self) -> Iterator[Evaluator]:
        """One backend evaluator, lent to the calling thread until the block ends."""
        with self._pool.borrow() as engine:
            yield engine.evaluator

    def close(self, wait: float = 5.0) -> None:
        """Stop the pool's threads (waiting up to `wait` s for them) and close every engine."""
        self._pool.close(wait)


__all__ = [
    "AGGREGATE_PATH",
    "Answer",
    "Entry",
    "PreparedPolicy",
    "SelectBy",
    "check_capabilities",
    "rule_entries",
]
