"""The admission bundle, and the engine that decides requests with it.

A bundle is a directory of Rego modules (and data) defining packages
`admission.<kind>` with `deny`/`warn` (validating) and `patch`/`mutate_deny`
(mutating) rules. It is loaded with the engine's one policy loader and
prepared by the evaluation core (`PreparedPolicy`): each rule is an entry
keyed by its endpoint's `<kind>/<phase>`, selected through the input
(`SelectBy.INPUT`: compared in Rego, no call back into Python per rule), so a
single prepared query serves every endpoint.

The core's pool evaluates off the event loop, and decides the requests that
queue up while its engines are busy together in one OPA call (each on its
own input, `with input as`); a failing batch is retried request by request,
so only the request causing an error is denied for it. The rules see only
the request fields they read (`input_shape`). Any error or timeout becomes a
deny carrying the reason (fail closed).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from konflux.engine.errors import KonfluxError
from konflux.engine.policy.files import PolicyFiles
from konflux.engine.policy.sources import load_source
from konflux.engine.policy.spec import load_policy
from konflux.engine.prepared import Answer, Entry, PreparedPolicy, SelectBy, check_capabilities
from konflux.kube.names import as_data
from konflux.webhooks.endpoints import PHASE_RULES, Endpoint
from konflux.webhooks.errors import WebhookError
from konflux.webhooks.input_shape import InputShape, shape_of

BATCH_MAX = 16  # requests decided by one call into OPA at most
PACKAGE_PREFIX = "admission."
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
    check_capabilities(files)  # refused at load, before the service starts
    rules: dict[str, set[str]] = {}
    for module in files.modules:
        if module.package.startswith(PACKAGE_PREFIX):
            kind = module.package[len(PACKAGE_PREFIX) :]
            rules.setdefault(kind, set()).update(module.rule_names())
    if not rules:
        raise WebhookError(f"{origin}: the bundle defines no admission.<kind> package")
    shape = shape_of(module.source for module in files.modules)
    return Bundle(files, origin, _revision(files), rules, shape)


def admission_entries(rules: dict[str, set[str]]) -> list[Entry]:
    """One entry per (kind, phase, rule name) the bundle defines, keyed `<kind>/<phase>`."""
    return [
        Entry(f"admission.{kind}.{name}", f"{kind}/{phase}")
        for kind in sorted(rules)
        # nested helper packages (admission.lib) are not endpoints
        if "." not in kind and kind.isidentifier()
        for phase, names in PHASE_RULES.items()
        for name in names
        if name in rules[kind]
    ]


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


def decision_of(answer: Answer) -> Decision:
    """Turn the rules' results into a decision; malformed output fails."""
    denials: list[str] = []
    warnings: list[str] = []
    ops: list[dict[str, Any]] = []
    for entry, value in answer.results:
        rule = entry.rule
        if rule in ("deny", "mutate_deny"):
            denials.append(_message(value))
        elif rule == "warn":
            warnings.append(_message(value))
        elif rule == "patch":
            ops.append(_patch_op(value))
    # A patch is a set in Rego; apply parents before children (a map before its keys).
    ops.sort(key=lambda op: (op["path"].count("/"), op["path"], op["op"]))
    return Decision(
        allowed=not denials,
        denials=sorted(denials),
        warnings=sorted(warnings),
        patch=ops if not denials else [],
    )


class AdmissionEngine:
    """The bundle prepared for every endpoint; `evaluate` never raises, it fails closed.

    `start` makes and warms `workers` engines (the core's pool); until then, or when
    the bundle failed to compile, every request is denied saying why.
    """

    def __init__(self, bundle: Bundle, *, workers: int = 2, timeout: float = 5.0):
        self.bundle = bundle
        self.workers = max(1, workers)
        self.timeout = timeout
        self.prepared: PreparedPolicy | None = None
        self.ready = False
        self.failure: str | None = None
        # Requests the server is handling (its loop's thread only). Alone, a request's
        # evaluation is awaited on that thread first: nothing else is held up meanwhile.
        self.in_flight = 0

    @property
    def evaluations(self) -> int:
        """Calls into OPA (a batch is one)."""
        return self.prepared.calls if self.prepared else 0

    @property
    def evaluated(self) -> int:
        """Requests those calls decided."""
        return self.prepared.evaluated if self.prepared else 0

    def start(self) -> None:
        """Compile the bundle into every engine and prepare its queries (slow: call off-loop)."""
        prepared = PreparedPolicy(
            self.bundle.files,
            admission_entries(self.bundle.rules),
            select_by=SelectBy.INPUT,
            # The label and annotation names the rules read (data.kube.names).
            data=as_data(),
            size=self.workers,
            batch_max=BATCH_MAX,
            name="admission-eval",
        )
        try:
            prepared.warm()
        except BaseException:
            prepared.close()
            raise
        self.prepared = prepared
        self.ready = True

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
        if not self.ready or self.prepared is None:
            return Decision.failure(
                f"webhook not ready: {self.failure or 'the policy bundle is still loading'}"
            )
        try:
            self._check(endpoint)
        except WebhookError as exc:
            return Decision.failure(str(exc))
        budget = self.timeout if timeout is None else min(timeout, self.timeout)
        try:
            answer = await self.prepared.evaluate_async(
                input, (endpoint.select_key,), timeout=budget, alone=self.in_flight <= 1
            )
            answer.raise_errors()
            return decision_of(answer)
        except TimeoutError:
            return Decision.failure(f"policy evaluation timed out after {budget:.3g}s")
        except (KonfluxError, ValueError, TypeError) as exc:
            return Decision.failure(f"policy evaluation failed: {exc}")

    def close(self, wait: float = 5.0) -> None:
        """Stop evaluating; engines close after their current evaluation."""
        self.ready = False
        if self.prepared is not None:
            self.prepared.close(wait)
