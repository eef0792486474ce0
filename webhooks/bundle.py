"""The admission bundle and the engine pool that evaluates it.

A bundle is a directory of Rego modules (and data) defining packages
`admission.<kind>` with `deny`/`warn` (validating) and `patch`/`mutate_deny`
(mutating) rules. It is loaded with the engine's one policy loader, and each
evaluator gets a generated aggregate module so a single prepared query,
`x = data.konflux_admission.results`, serves every endpoint: the endpoint's
`<kind>/<phase>` key goes into the input (`input.konflux_endpoint`, compared in
Rego, so no builtin calls back into Python per rule), never into a new query
string.

One OPA engine serializes its evaluations, so each worker thread owns one
evaluator and evaluations run off the event loop. Requests that queue up while
a worker is busy are decided together in one evaluation (`batch`, each with
its own input through `with input as`): a burst pays the fixed cost of
crossing into OPA once. The rules see only the request fields they read
(`input_shape`). Any error or timeout becomes a deny carrying the reason (fail
closed); an error in a batch is retried request by request so that only the
request causing it is denied for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from konflux.engine.errors import KonfluxError
from konflux.engine.evaluator.capabilities import check_allowed
from konflux.engine.evaluator.opa import OpaEvaluator
from konflux.engine.policy.files import PolicyFiles
from konflux.engine.policy.sources import load_source
from konflux.engine.policy.spec import load_policy
from konflux.webhooks.endpoints import PHASE_RULES, Endpoint
from konflux.webhooks.errors import WebhookError
from konflux.webhooks.input_shape import InputShape, shape_of

AGGREGATE_PACKAGE = "konflux_admission"
AGGREGATE_PATH = "konflux/admission.rego"
QUERY = f"{AGGREGATE_PACKAGE}.results"
# Several requests in one evaluation: `input.batch` is a list of inputs, the answer maps each
# index to that input's results (`with input as`): one crossing into OPA for a burst.
BATCH_QUERY = f"{AGGREGATE_PACKAGE}.batch"
BATCH_KEY = "batch"
BATCH_MAX = 16
PACKAGE_PREFIX = "admission."
# The endpoint's `<kind>/<phase>`, set in the input by the server (never taken from the request).
# A plain comparison in Rego: cheaper than a `konflux.selected` call back into Python per rule.
SELECT_KEY = "konflux_endpoint"
# The shipped rules: rego/admission beside the package directories (editable installs).
DEFAULT_BUNDLE = Path(__file__).resolve().parents[1] / "rego" / "admission"


@dataclass
class Bundle:
    """Loaded modules and data, where they came from, and a content revision."""

    files: PolicyFiles
    origin: str
    revision: str
    rules: dict[str, set[str]] = field(default_factory=dict)  # kind -> rule names defined
    shape: InputShape = field(default_factory=InputShape)  # what of a request the rules read


def _revision(files: PolicyFiles) -> str:
    digest = hashlib.sha256()
    for module in sorted(files.modules, key=lambda m: m.path):
        digest.update(module.source.encode())
    for doc in sorted(files.data, key=lambda d: (d.mount, d.path)):
        digest.update(json.dumps([doc.mount, doc.value], sort_keys=True).encode())
    return digest.hexdigest()[:16]


def load_bundle(bundle: str | None = None, policy: str | None = None) -> Bundle:
    """Load `--bundle DIR|oci::REF`, the policy sources of `--policy P`, or the shipped rules."""
    if bundle and policy:
        raise WebhookError("give either --bundle or --policy, not both")
    files = PolicyFiles()
    if policy:
        origin = policy
        for source in load_policy(policy).sources:
            files.extend(load_source(source.policy, source.data).files)
    else:
        origin = bundle or str(DEFAULT_BUNDLE)
        # A bundle directory is read as `opa` reads one (data mounted by its path).
        files.extend(load_source([origin], []).files)
    rules: dict[str, set[str]] = {}
    for module in files.modules:
        check_allowed(module.path, module.source)
        if module.package.startswith(PACKAGE_PREFIX):
            kind = module.package[len(PACKAGE_PREFIX) :]
            rules.setdefault(kind, set()).update(module.rule_names())
    if not rules:
        raise WebhookError(f"{origin}: the bundle defines no admission.<kind> package")
    shape = shape_of(module.source for module in files.modules)
    return Bundle(files, origin, _revision(files), rules, shape)


def aggregate_module(rules: dict[str, set[str]]) -> str:
    """One guarded rule per (kind, phase, rule name) the bundle defines."""
    out = [f"package {AGGREGATE_PACKAGE}\n\nimport rego.v1\n"]
    for kind in sorted(rules):
        if "." in kind or not kind.isidentifier():
            continue  # nested helper packages (admission.lib) are not endpoints
        for phase, names in PHASE_RULES.items():
            for name in names:
                if name in rules[kind]:
                    key = json.dumps(f"{kind}/{phase}")
                    out.append(
                        f"results contains [{json.dumps(name)}, r] if {{\n"
                        f"\tinput.{SELECT_KEY} == {key}\n"
                        f"\tsome r in data.admission.{kind}.{name}\n}}\n"
                    )
    out.append(
        f"{BATCH_KEY}[i] := r if {{\n\tsome i, item in input.{BATCH_KEY}\n"
        "\tr := results with input as item\n}\n"
    )
    return "\n".join(out)


@dataclass
class Decision:
    """What the rules decided for one request (or why they could not)."""

    allowed: bool
    denials: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    patch: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # set when the engine could not decide

    @property
    def message(self) -> str:
        if self.error:
            return self.error
        return "; ".join(self.denials)

    @classmethod
    def failure(cls, reason: str) -> Decision:
        return cls(allowed=False, error=reason)


def _message(result: Any) -> str:
    if isinstance(result, dict):
        msg = result.get("msg")
        code = result.get("code")
        text = msg if isinstance(msg, str) else json.dumps(result, sort_keys=True)
        return f"{text} [{code}]" if isinstance(code, str) else text
    return result if isinstance(result, str) else json.dumps(result, sort_keys=True)


def _patch_op(op: Any) -> dict[str, Any]:
    if (
        not isinstance(op, dict)
        or op.get("op") not in {"add", "remove", "replace", "copy", "move", "test"}
        or not isinstance(op.get("path"), str)
    ):
        raise WebhookError(f"the bundle produced an invalid JSON Patch operation: {op!r}")
    return op


def decision_of(results: Any) -> Decision:
    """Turn the aggregate's `[rule, value]` pairs into a decision; malformed output fails."""
    if not isinstance(results, list):
        raise WebhookError(f"the bundle's results are not a set: {results!r}")
    denials: list[str] = []
    warnings: list[str] = []
    ops: list[dict[str, Any]] = []
    for rule, value in results:
        if rule in ("deny", "mutate_deny"):
            denials.append(_message(value))
        elif rule == "warn":
            warnings.append(_message(value))
        elif rule == "patch":
            ops.append(_patch_op(value))
    # A patch is a set in Rego; apply parents before children (a map before its keys).
    ops.sort(key=lambda op: (op["path"].count("/"), op["path"], op["op"]))
    return Decision(allowed=not denials, denials=sorted(denials), warnings=sorted(warnings),
                    patch=ops if not denials else [])


@dataclass
class _Job:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Decision]
    select_key: str
    input: dict[str, Any]


def _settle(future: asyncio.Future[Decision], decision: Decision | None,
            error: BaseException | None) -> None:
    if future.done():  # the request gave up (timeout) while the evaluation ran
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(decision)  # type: ignore[arg-type]


class AdmissionEngine:
    """Evaluator threads over one bundle; `evaluate` never raises, it fails closed.

    Each worker thread owns one evaluator and takes jobs (with whatever else is
    already waiting, up to BATCH_MAX) from one queue; the request coroutine
    waits on a future the thread settles. The bridge releases the GIL while OPA
    runs, so evaluations overlap the event loop's HTTP work.
    """

    def __init__(self, bundle: Bundle, *, workers: int = 2, timeout: float = 5.0):
        self.bundle = bundle
        self.workers = max(1, workers)
        self.timeout = timeout
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._count_lock = threading.Lock()
        self.evaluations = 0  # calls into OPA (a batch is one)
        self.evaluated = 0  # requests those calls decided
        self.ready = False
        self.failure: str | None = None

    def _new_evaluator(self) -> OpaEvaluator:
        evaluator = OpaEvaluator()
        for module in self.bundle.files.modules:
            evaluator.add_module(module.path, module.source)
        for doc in self.bundle.files.data:
            evaluator.add_data(doc.value, doc.mount)
        evaluator.add_module(AGGREGATE_PATH, aggregate_module(self.bundle.rules))
        # Prepare both queries now, so no request pays for compilation.
        evaluator.evaluate(QUERY, {SELECT_KEY: ""})
        evaluator.evaluate(BATCH_QUERY, {BATCH_KEY: [{SELECT_KEY: ""}]})
        return evaluator

    def start(self) -> None:
        """Start the worker threads and wait until each has built and warmed its evaluator."""
        built: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()
        for n in range(self.workers):
            thread = threading.Thread(target=self._work, args=(built,), daemon=True,
                                      name=f"admission-eval-{n}")
            thread.start()
            self._threads.append(thread)
        errors = [error for error in (built.get() for _ in self._threads) if error is not None]
        if errors:
            self.close()
            raise errors[0]
        self.ready = True

    def _work(self, built: queue.SimpleQueue[BaseException | None]) -> None:
        try:
            evaluator = self._new_evaluator()
        except BaseException as exc:  # reported by start(), which raises it
            built.put(exc)
            return
        built.put(None)
        try:
            while (jobs := self._take()) is not None:
                outcomes = self._decide_all(evaluator, jobs)
                with self._count_lock:
                    self.evaluated += len(jobs)
                for job, (decision, error) in zip(jobs, outcomes, strict=True):
                    # RuntimeError: the loop closed while we evaluated, and nobody waits.
                    with contextlib.suppress(RuntimeError):
                        job.loop.call_soon_threadsafe(_settle, job.future, decision, error)
        finally:
            evaluator.close()

    def _take(self) -> list[_Job] | None:
        """The next job and up to BATCH_MAX - 1 more already waiting; None once closing."""
        jobs: list[_Job] = []
        while not jobs:
            job = self._jobs.get()
            if job is None:
                return None
            if not job.future.done():  # skip requests that already gave up
                jobs.append(job)
        while len(jobs) < BATCH_MAX:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._jobs.put(None)  # leave the stop signal for the next _take
                break
            if not job.future.done():
                jobs.append(job)
        return jobs

    def _decide_all(
        self, evaluator: OpaEvaluator, jobs: list[_Job]
    ) -> list[tuple[Decision | None, Exception | None]]:
        """Each job's decision or error; a failing batch is retried one by one (fair blame)."""
        if len(jobs) > 1:
            decisions = self._decide_batch(evaluator, jobs)
            with self._count_lock:
                self.evaluations += 1
            if decisions is not None:
                return [(decision, None) for decision in decisions]
        with self._count_lock:
            self.evaluations += len(jobs)
        outcomes: list[tuple[Decision | None, Exception | None]] = []
        for job in jobs:
            try:
                outcomes.append((self._decide(evaluator, job.select_key, job.input), None))
            except Exception as exc:  # handed to the waiting request, never lost
                outcomes.append((None, exc))
        return outcomes

    @staticmethod
    def _decide_batch(evaluator: OpaEvaluator, jobs: list[_Job]) -> list[Decision] | None:
        """The jobs' decisions from one evaluation, or None if any part of it failed."""
        batch = [{**job.input, SELECT_KEY: job.select_key} for job in jobs]
        try:
            result = evaluator.evaluate(BATCH_QUERY, {BATCH_KEY: batch})
            answers = result.value if result.defined else None
            if not isinstance(answers, dict) or len(answers) != len(jobs):
                return None
            return [decision_of(answers[str(i)]) for i in range(len(jobs))]
        except Exception:  # any failure: the caller evaluates each job alone and blames it
            return None

    @staticmethod
    def _decide(evaluator: OpaEvaluator, select_key: str, input: dict[str, Any]) -> Decision:
        result = evaluator.evaluate(QUERY, {**input, SELECT_KEY: select_key})
        return decision_of(result.value if result.defined else [])

    def _check(self, endpoint: Endpoint) -> None:
        defined = self.bundle.rules.get(endpoint.kind, set())
        if not defined & set(PHASE_RULES[endpoint.phase]) and endpoint.phase == "validate":
            raise WebhookError(
                f"the bundle {self.bundle.origin} has no admission.{endpoint.kind}.deny or .warn "
                "rule; refusing to admit what no rule checks"
            )
        if not defined:
            raise WebhookError(f"the bundle {self.bundle.origin} has no admission.{endpoint.kind}")

    async def evaluate(
        self, endpoint: Endpoint, input: dict[str, Any], timeout: float | None = None
    ) -> Decision:
        if not self.ready:
            return Decision.failure(
                f"webhook not ready: {self.failure or 'the policy bundle is still loading'}"
            )
        try:
            self._check(endpoint)
        except WebhookError as exc:
            return Decision.failure(str(exc))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Decision] = loop.create_future()
        self._jobs.put(_Job(loop, future, endpoint.select_key, input))
        budget = self.timeout if timeout is None else min(timeout, self.timeout)
        try:
            async with asyncio.timeout(max(budget, 0.001)):
                return await future
        except TimeoutError:
            return Decision.failure(f"policy evaluation timed out after {budget:.3g}s")
        except (KonfluxError, ValueError, TypeError) as exc:
            return Decision.failure(f"policy evaluation failed: {exc}")

    def close(self, wait: float = 5.0) -> None:
        """Stop the workers; each closes its evaluator after its current evaluation."""
        self.ready = False
        for _ in self._threads:
            self._jobs.put(None)
        deadline = time.monotonic() + wait
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()
