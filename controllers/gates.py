"""The controllers' gates: the Rego bundle deciding whether a Release may start and what
becomes of a Snapshot, loaded once and evaluated through the one core (`PreparedPolicy`).

The bundle (`rego/gates` by default, or `--gates DIR|oci::REF[@digest]`) is read by the
engine's one policy loader, so an `oci::` bundle is pinned by digest and, with a key,
must carry a cosign signature made with it, exactly as policy bundles under
`--policy-key`. Packages `gates.release` and `gates.integration` answer; the label and
annotation names they read are handed in as `data.kube.names` (`kube/names.py`).

Failing closed: a bundle that cannot be read, does not compile or lacks a rule the
controllers ask for raises `GatesError` (the controllers refuse to start); an
evaluation that errors or answers in a shape the controllers cannot read is a denial
(`gates.error`), never a pass. Every decision carries the bundle's digest so the object
it is written to says which rules decided it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from konflux.controllers.objects import Obj
from konflux.engine.errors import KonfluxError
from konflux.engine.policy.files import PolicyFiles
from konflux.engine.prepared import Answer, Entry, PreparedPolicy, SelectBy
from konflux.kube.names import as_data

# The shipped gates: rego/gates beside the package directories (an editable install), or
# konflux/rego/gates in an installed wheel (pyproject maps konflux.rego to rego/).
DEFAULT_GATES = Path(__file__).resolve().parents[1] / "rego" / "gates"

RELEASE, MATCH = "release", "match"
# A Snapshot's tests are asked about on every reconcile, its promotion once they are over:
# two keys, so a Snapshot still being tested costs only the rules about its tests.
TESTS, PROMOTION = "tests", "promotion"
# Every rule the controllers read, by the key that selects it. A bundle lacking one is
# refused at load: an undefined answer must never be mistaken for "nothing to deny".
ENTRIES = (
    Entry("gates.release.deny", RELEASE),
    Entry("gates.release.admission", RELEASE, whole=True),
    Entry("gates.release.author", RELEASE, whole=True),
    Entry("gates.release.match", MATCH, whole=True),
    Entry("gates.integration.scenarios", TESTS, whole=True),
    Entry("gates.integration.outcomes", TESTS, whole=True),
    Entry("gates.integration.summary", TESTS, whole=True),
    Entry("gates.integration.deny", PROMOTION),
    Entry("gates.integration.cel_plans", PROMOTION, whole=True),
    Entry("gates.integration.auto_release", PROMOTION, whole=True),
)
ERROR_CODE = "gates.error"


class GatesError(KonfluxError):
    """The gates bundle cannot be used: unreadable, unsigned, not compiling, or incomplete."""


@dataclass(frozen=True)
class Denial:
    """One `deny` result: the rule's code and its message."""

    code: str
    msg: str

    @classmethod
    def of(cls, value: Any) -> Denial:
        # A platform rule's deny of any shape still denies; only its wording may suffer.
        if isinstance(value, dict):
            code, msg = value.get("code"), value.get("msg")
            return cls(str(code or "gates.unnamed"), str(msg if msg is not None else value))
        return cls("gates.unnamed", str(value))

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "msg": self.msg}


def _denials(answer: Answer, ref: str, key: str, origin: str) -> list[Denial]:
    found = sorted({Denial.of(v) for v in answer.values(ref)}, key=lambda d: (d.code, d.msg))
    if key in answer.errors:
        found.append(
            Denial(ERROR_CODE, f"the gates ({origin}) could not decide: {answer.errors[key]}")
        )
    return found


@dataclass
class ReleaseDecision:
    """May this Release start: the denials (none: it may), the matched admission, its author."""

    denials: list[Denial]
    admission: Obj | None
    author: str | None
    digest: str

    @property
    def allowed(self) -> bool:
        return not self.denials

    @property
    def message(self) -> str:
        return "; ".join(d.msg for d in self.denials)


@dataclass(frozen=True)
class Match:
    """The admission a plan matched, or why none did, and the digest of the gates that said so."""

    admission: Obj | None
    reason: str
    digest: str = ""


@dataclass
class IntegrationDecision:
    """What the gates made of a Snapshot: the scenarios testing it, their outcomes, how the
    required ones stand, whether it is promoted (no denials) and which plans release it."""

    scenarios: list[str]
    outcomes: dict[str, dict[str, Any]]
    summary: dict[str, int]
    denials: list[Denial]
    cel_plans: list[str]
    auto_release: dict[str, Any] | None
    digest: str
    error: str | None = None  # the gates could not decide (nothing may proceed)
    decided: bool = True  # promotion was asked (else: denials, plans and promoted unknown)

    @property
    def promoted(self) -> bool:
        return self.decided and self.error is None and not self.denials

    @property
    def codes(self) -> list[str]:
        return [d.code for d in self.denials]


@dataclass
class Gates:
    """A loaded gates bundle, prepared for the controllers' questions."""

    prepared: PreparedPolicy
    origin: str  # as given
    pinned: str  # `oci::repo@sha256:...` or `file::<dir>`
    digest: str  # what decisions record: the bundle's manifest digest, or its content's

    @classmethod
    def load(cls, source: str | Path | None = None, *, key: str | None = None) -> Gates:
        """`source`: a directory or `oci::REF[@digest]` (default: the shipped gates).
        `key`: PEM text of the public key an `oci::` bundle must be signed with."""
        from konflux.engine.policy.sources import load_source

        origin = str(source or DEFAULT_GATES)
        is_oci = origin.startswith(("oci::", "oci://"))
        if key and not is_oci:
            raise GatesError(
                f"{origin}: --gates-key needs an oci:: gates bundle (a directory carries "
                "no signature to check)"
            )
        try:
            loaded = load_source([origin], [], policy_key=key)
        except KonfluxError as exc:
            raise GatesError(f"cannot load the gates bundle {origin}: {exc}") from None
        files: PolicyFiles = loaded.files
        _check_complete(files, origin)
        pinned = loaded.pinned.get(origin, origin)
        digest = pinned.rpartition("@")[2] if is_oci and "@sha256:" in pinned else _digest(files)
        try:
            prepared = PreparedPolicy(
                files, ENTRIES, select_by=SelectBy.INPUT, data=as_data(), name="gates"
            )
        except KonfluxError as exc:
            raise GatesError(f"the gates bundle {origin} does not compile: {exc}") from None
        return cls(prepared, origin, pinned, digest)

    # -- the questions -------------------------------------------------------------------------

    def release(
        self,
        release: Obj,
        plan: Obj | None,
        admissions: list[Obj],
        policy: Obj | None,
        snapshot: Obj | None,
        now: str,
    ) -> ReleaseDecision:
        """May `release` start (package gates.release)."""
        answer = self.prepared.evaluate(
            {
                "release": release,
                "plan": plan,
                "admissions": admissions,
                "policy": policy,
                "snapshot": snapshot,
                "now": now,
            },
            {RELEASE},
        )
        denials = _denials(answer, "gates.release.deny", RELEASE, self.origin)
        admission = answer.value("gates.release.admission")
        author = answer.value("gates.release.author")
        return ReleaseDecision(
            denials,
            _one_of(admission, admissions),
            author if isinstance(author, str) and author else None,
            self.digest,
        )

    def match(self, plan: Obj, admissions: list[Obj]) -> Match:
        """The one ReleasePlanAdmission of `plan` (gates.release.match)."""
        answer = self.prepared.evaluate({"plan": plan, "admissions": admissions}, {MATCH})
        if MATCH in answer.errors:
            return Match(
                None,
                f"the gates ({self.origin}) could not decide: {answer.errors[MATCH]}",
                self.digest,
            )
        value = answer.value("gates.release.match")
        if not isinstance(value, dict) or not isinstance(value.get("reason"), str):
            return Match(
                None, f"the gates ({self.origin}) gave no match for the ReleasePlan", self.digest
            )
        return Match(_one_of(value.get("admission"), admissions), value["reason"], self.digest)

    def integration(self, input: dict[str, Any], *, promotion: bool = True) -> IntegrationDecision:
        """What becomes of a Snapshot (package gates.integration); see its METADATA for `input`.
        `promotion` False: only which scenarios apply and how their tests stand."""
        answer = self.prepared.evaluate(input, {TESTS, PROMOTION} if promotion else {TESTS})
        return self._integration_decision(answer, promotion)

    def _integration_decision(self, answer: Answer, decided: bool) -> IntegrationDecision:
        denials = _denials(answer, "gates.integration.deny", PROMOTION, self.origin)
        error = answer.errors.get(TESTS) or answer.errors.get(PROMOTION)
        scenarios = answer.value("gates.integration.scenarios")
        outcomes = answer.value("gates.integration.outcomes", {})
        summary = answer.value("gates.integration.summary")
        cel_plans = answer.value("gates.integration.cel_plans", [])
        auto = answer.value("gates.integration.auto_release")
        why = None if error is None else str(error)
        if why is None and not (
            _names_list(scenarios)
            and isinstance(outcomes, dict)
            and all(_outcome_ok(outcomes.get(s)) for s in scenarios)
            and isinstance(summary, dict)
            and all(isinstance(summary.get(k), int) for k in ("required", "finished", "failed"))
            and _names_list(cel_plans)
            and (auto is None or (isinstance(auto, dict) and _names_list(auto.get("plans"))))
        ):
            why = "its answer is not in the shape the controllers read"
        if why is not None:
            denial = Denial(ERROR_CODE, f"the gates ({self.origin}) could not decide: {why}")
            if denial not in denials:
                denials.append(denial)
            return IntegrationDecision([], {}, {}, denials, [], None, self.digest, why, decided)
        return IntegrationDecision(
            list(scenarios),
            outcomes,
            summary,
            denials,
            list(cel_plans),
            auto,
            self.digest,
            decided=decided,
        )

    def close(self) -> None:
        self.prepared.close()


def _one_of(answer: Any, objects: list[Obj]) -> Obj | None:
    """The object among `objects` the gates named (by namespace and name): the caller acts
    on what it read, never on an object a rule made up."""
    if not isinstance(answer, dict):
        return None
    key = _key(answer)
    return next((o for o in objects if _key(o) == key), None)


def _key(obj: Obj) -> tuple[Any, Any]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return (meta.get("namespace"), meta.get("name"))


def _names_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def _outcome_ok(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("status"), str)
        and isinstance(value.get("details"), str)
        and isinstance(value.get("final"), bool)
        and isinstance(value.get("optional"), bool)
    )


def _check_complete(files: PolicyFiles, origin: str) -> None:
    defined: dict[str, set[str]] = {}
    for module in files.modules:
        defined.setdefault(module.package, set()).update(module.rule_names())
    missing = [e.ref for e in ENTRIES if e.rule not in defined.get(e.package, set())]
    if missing:
        raise GatesError(
            f"the gates bundle {origin} does not define {', '.join(missing)} (start from a "
            "copy of the shipped rego/gates)"
        )


def _digest(files: PolicyFiles) -> str:
    """A directory bundle's content digest: its modules and data, in a stable order."""
    h = hashlib.sha256()
    for module in sorted(files.modules, key=lambda m: m.path):
        h.update(json.dumps([module.path, module.source]).encode())
    for doc in sorted(files.data, key=lambda d: (d.mount, d.path)):
        h.update(json.dumps([doc.mount, doc.value], sort_keys=True).encode())
    return f"sha256:{h.hexdigest()}"


_default: Gates | None = None
_default_lock = threading.Lock()


def default_gates() -> Gates:
    """The shipped gates, loaded once (pure functions called without a bundle use them)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Gates.load()
        return _default


__all__ = [
    "DEFAULT_GATES",
    "Denial",
    "Gates",
    "GatesError",
    "IntegrationDecision",
    "Match",
    "ReleaseDecision",
    "default_gates",
]
