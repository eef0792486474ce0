"""The admission bundle and the engine pool that evaluates it.

A bundle is a directory of Rego modules (and data) defining packages
`admission.<kind>` with `deny`/`warn` (validating) and `patch`/`mutate_deny`
(mutating) rules. It is loaded with the engine's one policy loader, and each
evaluator gets a generated aggregate module so a single prepared query,
`x = data.konflux_admission.results`, serves every endpoint: the endpoint's
`<kind>/<phase>` key goes into the input (`input.konflux_endpoint`, compared in
Rego, so no builtin calls back into Python per rule), never into a new query
string.

One OPA engine serializes its evaluations, so the pool keeps one evaluator per
worker thread and runs evaluations in a thread pool, off the event loop. Any
error or timeout becomes a deny carrying the reason (fail closed).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import queue
from concurrent.futures import ThreadPoolExecutor
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

AGGREGATE_PACKAGE = "konflux_admission"
AGGREGATE_PATH = "konflux/admission.rego"
QUERY = f"{AGGREGATE_PACKAGE}.results"
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
    return Bundle(files, origin, _revision(files), rules)


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


class AdmissionEngine:
    """A pool of evaluators over one bundle; `evaluate` never raises, it fails closed."""

    def __init__(self, bundle: Bundle, *, workers: int = 4, timeout: float = 5.0):
        self.bundle = bundle
        self.workers = max(1, workers)
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="admission-eval")
        self._idle: queue.SimpleQueue[OpaEvaluator] = queue.SimpleQueue()
        self._all: list[OpaEvaluator] = []
        self.ready = False
        self.failure: str | None = None

    def _new_evaluator(self) -> OpaEvaluator:
        evaluator = OpaEvaluator()
        for module in self.bundle.files.modules:
            evaluator.add_module(module.path, module.source)
        for doc in self.bundle.files.data:
            evaluator.add_data(doc.value, doc.mount)
        evaluator.add_module(AGGREGATE_PATH, aggregate_module(self.bundle.rules))
        # Prepare the one query now, so the first request does not pay for compilation.
        evaluator.evaluate(QUERY, {SELECT_KEY: ""})
        return evaluator

    def start(self) -> None:
        """Build and warm every evaluator (blocking; call from a thread or before serving)."""
        futures = [self._executor.submit(self._new_evaluator) for _ in range(self.workers)]
        for future in futures:
            evaluator = future.result()
            self._all.append(evaluator)
            self._idle.put(evaluator)
        self.ready = True

    def _run(self, select_key: str, input: dict[str, Any]) -> Decision:
        evaluator = self._idle.get()
        try:
            result = evaluator.evaluate(QUERY, {**input, SELECT_KEY: select_key})
        finally:
            self._idle.put(evaluator)
        return decision_of(result.value if result.defined else [])

    def evaluate_sync(self, endpoint: Endpoint, input: dict[str, Any]) -> Decision:
        """Evaluate in the calling thread (for tests and tools); same failure rules."""
        try:
            self._check(endpoint)
            return self._run(endpoint.select_key, input)
        except (KonfluxError, ValueError, TypeError) as exc:
            return Decision.failure(f"policy evaluation failed: {exc}")

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
        future = loop.run_in_executor(self._executor, self._run, endpoint.select_key, input)
        budget = self.timeout if timeout is None else min(timeout, self.timeout)
        try:
            return await asyncio.wait_for(future, max(budget, 0.001))
        except TimeoutError:
            return Decision.failure(f"policy evaluation timed out after {budget:.3g}s")
        except (KonfluxError, ValueError, TypeError) as exc:
            return Decision.failure(f"policy evaluation failed: {exc}")

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        for evaluator in self._all:
            evaluator.close()
        self._all.clear()
