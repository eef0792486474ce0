"""What the signer does next for a run, decided from the run and the signer's own state.

The signer keeps one ConfigMap per finished run in its own namespace (which no tenant
can read or write): the record of the run taken at the first observation of its
completion, and the phase (`recorded` → `signed` | `failed`) with the retry count.
That state, not the run's annotations, is authoritative: the annotations are the
signer's output for integration-service, and a tenant can edit them. So:

- a run whose state says `signed` gets `chains.tekton.dev/signed: "true"` back if the
  tenant removed it, and is never signed again from its (possibly edited) live record;
- a run without state is recorded and signed, unless its annotation already says
  `true`/`failed` (Chains' "reconciled": someone else signed it, or the tenant set the
  annotation itself, which only keeps its own build from being signed).

The order of effects makes signing exactly once: push (idempotent, `signing`) → state
`signed` → annotation. A crash between any two steps repeats only idempotent work.
Pure: objects in, decisions and patches out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from konflux.controllers import constants as c
from konflux.controllers.chains.record import RecordError, RunRecord, decode_record, succeeded
from konflux.controllers.objects import Obj, annotations_of, meta, name_of, namespace_of

PHASE_RECORDED, PHASE_SIGNED, PHASE_FAILED = "recorded", "signed", "failed"
MANAGER = "konflux-chains"
RUN_ANNOTATION = "chains.tekton.dev/run"  # <kind>/<namespace>/<name> on the state ConfigMap
MAX_REASON = 1000  # characters of a failure reason kept in an annotation
MAX_BACKOFF = 300.0


class Action(enum.Enum):
    SKIP = "skip"  # not finished successfully, or reconciled by someone else
    RECORD = "record"  # first observation: store the record, then sign
    SIGN = "sign"  # recorded (maybe partly pushed before a crash): sign from the record
    MARK = "mark"  # done: make the run's annotations say so


@dataclass(frozen=True)
class SignerState:
    """The signer's ConfigMap for one run, read."""

    name: str
    phase: str
    retries: int
    reason: str
    record: RunRecord | None

    @classmethod
    def parse(cls, configmap: Obj) -> SignerState:
        data = configmap.get("data") or {}
        stored = (configmap.get("binaryData") or {}).get("record")
        try:
            record = decode_record(stored) if stored else None
        except RecordError:
            record = None
        retries = str(data.get("retries", "0"))
        return cls(
            name_of(configmap),
            str(data.get("phase", PHASE_RECORDED)),
            int(retries) if retries.isdigit() else 0,
            str(data.get("reason", "")),
            record,
        )


def state_name(run: Obj) -> str:
    """The state ConfigMap's name: one per run uid (a re-created run is a new run)."""
    kind = "pr" if run.get("kind") == c.PIPELINE_RUN.kind else "tr"
    return f"{kind}-{meta(run).get('uid', '')}"


def decide(run: Obj, state: SignerState | None) -> Action:
    if not succeeded(run):
        return Action.SKIP
    if state is None:
        signed = annotations_of(run).get(c.CHAINS_SIGNED_ANNOTATION)
        return Action.SKIP if signed in (c.CHAINS_SIGNED, c.CHAINS_FAILED) else Action.RECORD
    if state.phase in (PHASE_SIGNED, PHASE_FAILED):
        return Action.SKIP if annotations_of(run).items() >= wanted(state).items() else Action.MARK
    if state.record is None:
        return Action.RECORD  # unreadable state: record again from the run
    return Action.SIGN


def wanted(state: SignerState) -> dict[str, str]:
    """The annotations a run in a final phase must carry."""
    if state.phase == PHASE_SIGNED:
        return {c.CHAINS_SIGNED_ANNOTATION: c.CHAINS_SIGNED}
    return {
        c.CHAINS_SIGNED_ANNOTATION: c.CHAINS_FAILED,
        c.CHAINS_RETRIES_ANNOTATION: str(state.retries),
        c.CHAINS_FAILURE_ANNOTATION: state.reason,
    }


def annotation_patch(values: dict[str, str | None]) -> Obj:
    return {"metadata": {"annotations": values}}


def retry_patch(retries: int) -> Obj:
    return annotation_patch({c.CHAINS_RETRIES_ANNOTATION: str(retries)})


def final_patch(state: SignerState, extra: dict[str, str] | None = None) -> Obj:
    values: dict[str, str | None] = dict(wanted(state))
    if state.phase == PHASE_SIGNED:
        values[c.CHAINS_FAILURE_ANNOTATION] = None  # a recovered run drops an old reason
    values.update(extra or {})
    return annotation_patch(values)


def short_reason(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."


def backoff(retries: int, base: float) -> float:
    """Seconds before attempt `retries + 1`: exponential from `base`, capped."""
    return min(base * 2 ** max(retries - 1, 0), MAX_BACKOFF)


def state_body(run: Obj, namespace: str, record: RunRecord, phase: str = PHASE_RECORDED) -> Obj:
    """A new state ConfigMap holding `record` (create-only: 409 means it exists)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": state_name(run),
            "namespace": namespace,
            "labels": {c.MANAGED_BY: MANAGER},
            "annotations": {
                RUN_ANNOTATION: f"{run.get('kind')}/{namespace_of(run)}/{name_of(run)}"
            },
        },
        "data": {"phase": phase, "retries": "0", "recordDigest": record.digest},
        "binaryData": {"record": record.encode()},
    }


def phase_patch(phase: str, retries: int, reason: str = "") -> Obj:
    return {"data": {"phase": phase, "retries": str(retries), "reason": reason}}


def describe(run: Any) -> str:
    return f"{run.get('kind', 'run')} {namespace_of(run)}/{name_of(run)}"
