"""Conforma reports for people: found in a PipelineRun's results, shown with the rules' own words.

Where a report comes from, best first (the page says which):

1. `REPORT_JSON`, a TaskRun result holding the JSON report `konflux validate image
   --output json=...` writes (verify-conforma writes it when `REPORT_RESULT` is
   true; `dev simulate` always does). Read into the engine's one report model by
   `engine.output.reader.report_from_document`.
2. `VSA`, a Verification Summary Attestation (a DSSE envelope or the bare statement):
   the verdict, the time, the policy digest and the subjects, no per-rule detail. Its
   DSSE signature is checked against the VSA public keys the console was given
   (`console serve --vsa-public-key`, by the engine's `verify_envelope`): a verdict is
   shown as PASSED or FAILED only when a signature verifies and (where the page knows the
   Snapshot) its subjects are the Snapshot's images (`compare_subjects`); otherwise the
   page says "signature invalid", "unsigned", "signature not checked" or "about other
   images" and shows the claim as a claim (`VsaSignature`).
3. `TEST_OUTPUT`, the appstudio summary: counts and a result word only.

Each violation and warning is shown with its rule's title, description and solution:
from the result's own metadata when the report was written with `--info`, else from
the rule as the policy source (pinned in the report) declares it, read by the
engine's policy loader through `catalogue.RuleCatalogue`.

A report in a tenant namespace was written by the tenant's pipeline: nothing in it is
trusted. Values are size-limited, type-checked by the reader, and rendered escaped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from konflux.console.catalogue import LoadedRules, RuleCatalogue, merged_rules
from konflux.controllers import constants as c
from konflux.engine.errors import KonfluxError
from konflux.engine.output.reader import report_from_document
from konflux.engine.output.vsa import VSA_PREDICATE
from konflux.engine.report import Report, Result, TargetReport
from konflux.engine.rules import Rule
from konflux.engine.sigstore.dsse import parse_envelope, verify_envelope
from konflux.engine.sigstore.keys import PublicKey

REPORT_RESULT = "REPORT_JSON"
VSA_RESULT = "VSA"
MAX_RESULT_BYTES = 2 * 1024 * 1024  # above what one object may hold in etcd (~1.5 MiB)

Obj = dict[str, Any]


@dataclass(frozen=True)
class Finding:
    """One violation, warning or success, with what its rule says about itself."""

    code: str
    message: str
    term: str = ""
    effective_on: str = ""
    title: str = ""
    description: str = ""
    solution: str = ""
    collections: tuple[str, ...] = ()
    rule_source: str = ""  # "report" (written with --info), "policy" (loaded), "" unknown


@dataclass
class ComponentFindings:
    name: str
    image: str
    success: bool
    violations: list[Finding]
    warnings: list[Finding]
    successes: list[Finding]
    source: Obj = field(default_factory=dict)
    signatures: list[Obj] = field(default_factory=list)
    attestations: list[Obj] = field(default_factory=list)


# What a VSA's signature was found to be. Only VERIFIED lets its verdict be shown as one.
VERIFIED, INVALID, UNSIGNED, UNCHECKED = "verified", "invalid", "unsigned", "unchecked"
SAME_IMAGES, OTHER_IMAGES, NOT_COMPARED = "same-images", "other-images", "not-compared"


@dataclass(frozen=True)
class VsaSignature:
    """Whether a VSA's DSSE signature verified, with what key or why not."""

    state: str  # VERIFIED, INVALID, UNSIGNED or UNCHECKED
    detail: str
    claimed: str  # the predicate's verificationResult, as written (untrusted unless VERIFIED)
    subjects: tuple[str, ...] = ()
    policy_digest: str = ""
    subject_digests: frozenset[str] = frozenset()  # sha256 hex of each subject
    # Whether the subjects are the Snapshot's images: SAME_IMAGES, OTHER_IMAGES or NOT_COMPARED
    coverage: str = ""
    coverage_detail: str = ""

    @property
    def verified(self) -> bool:
        return self.state == VERIFIED

    @property
    def verdict_counts(self) -> bool:
        """A verdict is one only when signed by a trusted key and about these images: a
        genuine VSA of another image, copied into this result, proves nothing here."""
        return self.verified and self.coverage != OTHER_IMAGES


@dataclass
class ReportView:
    """What the report section of a page shows."""

    origin: str  # which TaskRun and result, in words
    kind: str  # "report", "vsa", "test-output"
    success: bool | None = None
    components: list[ComponentFindings] = field(default_factory=list)
    sources: list[Obj] = field(default_factory=list)  # the policy's sources, pinned
    counts: Obj = field(default_factory=dict)
    summary: Obj = field(default_factory=dict)  # TEST_OUTPUT or the VSA's predicate
    effective_time: str = ""
    version: str = ""
    keyed: bool = False
    problems: list[str] = field(default_factory=list)
    vsa: VsaSignature | None = None  # for a VSA: whether its signature verified

    @property
    def violations(self) -> list[Finding]:
        return [f for comp in self.components for f in comp.violations]


def _results_of(taskrun: Obj) -> dict[str, Any]:
    return {
        str(r.get("name")): r.get("value")
        for r in (taskrun.get("status") or {}).get("results") or []
        if isinstance(r, dict) and r.get("name")
    }


def _text(value: Any, where: str) -> str:
    if isinstance(value, (dict, list)):  # Tekton object results arrive parsed
        value = json.dumps(value)
    if not isinstance(value, str):
        raise ValueError(f"{where} is not a string")
    if len(value.encode()) > MAX_RESULT_BYTES:
        raise ValueError(f"{where} is larger than {MAX_RESULT_BYTES} bytes")
    return value


def _term(meta: Obj) -> str:
    term = meta.get("term")
    if isinstance(term, list):
        return ", ".join(str(t) for t in term if isinstance(t, str))
    return term if isinstance(term, str) else ""


def finding(result: Result, rules: dict[str, Rule]) -> Finding:
    """A result with its rule's words: the report's own (`--info`) first, then the policy's."""
    meta = result.metadata
    rule = rules.get(result.code)

    def word(key: str, fallback: str) -> str:
        value = meta.get(key)
        return value if isinstance(value, str) and value else fallback

    collections = meta.get("collections")
    from_report = any(isinstance(meta.get(k), str) and meta.get(k) for k in ("title", "solution"))
    return Finding(
        code=result.code,
        message=result.message,
        term=_term(meta),
        effective_on=word("effective_on", rule.effective_on if rule else ""),
        title=word("title", rule.title if rule else ""),
        description=word("description", rule.description if rule else ""),
        solution=word("solution", rule.solution if rule else ""),
        collections=tuple(str(x) for x in collections)
        if isinstance(collections, list)
        else (rule.collections if rule else ()),
        rule_source="report" if from_report else ("policy" if rule else ""),
    )


def _component(target: TargetReport, rules: dict[str, Rule]) -> ComponentFindings:
    return ComponentFindings(
        name=target.name,
        image=target.image,
        success=target.success,
        violations=[finding(r, rules) for r in target.outcome.violations],
        warnings=[finding(r, rules) for r in target.outcome.warnings],
        successes=[finding(r, rules) for r in target.outcome.successes],
        source=target.source,
        signatures=target.signatures,
        attestations=target.attestations,
    )


def policy_sources(policy: Obj) -> list[Obj]:
    out = []
    for i, source in enumerate(policy.get("sources") or []):
        if not isinstance(source, dict):
            continue
        out.append(
            {
                "name": str(source.get("name") or f"source-{i}"),
                "policy": [str(u) for u in source.get("policy") or []],
                "data": [str(u) for u in source.get("data") or []],
            }
        )
    return out


async def report_view(report: Report, origin: str, catalogue: RuleCatalogue) -> ReportView:
    """The view of a full report; rule words from the pinned policy sources it names."""
    sources = policy_sources(report.policy)
    needed = {r.code for t in report.targets for r in t.outcome.violations + t.outcome.warnings}
    loaded: list[LoadedRules] = []
    if needed:
        loaded = await catalogue.sources(u for s in sources for u in s["policy"])
    rules = merged_rules(loaded)
    failures, warnings, successes = report.totals()
    view = ReportView(
        origin=origin,
        kind="report",
        success=report.success,
        components=sorted(
            (_component(t, rules) for t in report.targets),
            key=lambda comp: (comp.success, comp.name),  # failing components first
        ),
        sources=sources,
        counts={"violations": failures, "warnings": warnings, "successes": successes},
        effective_time=report.effective_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        version=report.version,
        keyed=bool(report.key),
    )
    view.problems += [f"{s.url}: {s.error}" for s in loaded if s.error]
    return view


def key_name(key: PublicKey) -> str:
    """The key file's name and its fingerprint (SHA-256 of the SPKI DER), which an operator
    can compare with `openssl pkey -pubin -in FILE -outform der | sha256sum`."""
    return f"{Path(key.source).name} (sha256:{hashlib.sha256(key.der).hexdigest()[:16]})"


def _signature(text: str, keys: tuple[PublicKey, ...], origin: str) -> tuple[Obj, str, str]:
    """The statement of a VSA result, its signature state and why."""
    doc = json.loads(text)
    if not (isinstance(doc, dict) and "payload" in doc):
        return doc, UNSIGNED, "a bare statement, not a DSSE envelope: nothing signs it"
    envelope = parse_envelope(text, where=origin)  # PayloadError names what is malformed
    statement = envelope.payload_json()
    if not envelope.signatures:
        return statement, UNSIGNED, "the DSSE envelope has no signatures"
    if not keys:
        return statement, UNCHECKED, "the console was given no VSA public key (--vsa-public-key)"
    reasons = []
    for key in keys:
        reason = verify_envelope(envelope, key)
        if reason is None:
            return statement, VERIFIED, f"signature verified with {key_name(key)}"
        reasons.append(f"{key_name(key)}: {reason}")
    return statement, INVALID, "; ".join(reasons)


def _digests(value: Any) -> str:
    """An in-toto DigestSet as `algo:hex[,algo:hex]`."""
    if not isinstance(value, dict):
        return ""
    return ",".join(f"{k}:{v}" for k, v in sorted(value.items()))


def vsa_view(text: str, origin: str, keys: tuple[PublicKey, ...]) -> ReportView:
    """A VSA's verdict, shown as a verdict only when its signature verifies with `keys`."""
    statement, state, detail = _signature(text, keys, origin)
    if not isinstance(statement, dict) or not isinstance(statement.get("predicate"), dict):
        raise ValueError("not an in-toto statement with a predicate")
    if statement.get("predicateType") != VSA_PREDICATE:
        raise ValueError(f"not a VSA: predicateType {statement.get('predicateType')!r}")
    predicate = statement["predicate"]
    claimed = predicate.get("verificationResult")
    entries = [s for s in statement.get("subject") or [] if isinstance(s, dict)]
    subjects = [
        f"{s.get('name')}@{pins}" if (pins := _digests(s.get("digest"))) else str(s.get("name"))
        for s in entries
    ]
    digests = [s["digest"] for s in entries if isinstance(s.get("digest"), dict)]
    hexes = frozenset(d["sha256"] for d in digests if isinstance(d.get("sha256"), str))
    policy = predicate.get("policy") if isinstance(predicate.get("policy"), dict) else {}
    signature = VsaSignature(
        state=state,
        detail=detail,
        claimed=claimed if isinstance(claimed, str) else repr(claimed),
        subjects=tuple(subjects),
        policy_digest=_digests(policy.get("digest")),
        subject_digests=hexes,
        coverage=NOT_COMPARED,
        coverage_detail="not compared with a Snapshot's images (none found that you may read)",
    )
    return _with_signature(ReportView(origin=origin, kind="vsa", summary=predicate), signature)


def _with_signature(view: ReportView, signature: VsaSignature) -> ReportView:
    view.vsa = signature
    # An unverified VSA is a claim anyone could have written: no verdict from it.
    claimed = signature.claimed == "PASSED"
    view.success = claimed if signature.verdict_counts else None
    return view


def compare_subjects(view: ReportView | None, images: list[str]) -> ReportView | None:
    """A VSA view with its subjects compared with the Snapshot's `images` (digest refs)."""
    if view is None or view.vsa is None:
        return view
    wanted = {image.partition("@sha256:")[2]: image for image in images if "@sha256:" in image}
    missing = sorted(
        image for hex_, image in wanted.items() if hex_ not in view.vsa.subject_digests
    )
    if not wanted:
        coverage, detail = NOT_COMPARED, "the Snapshot names no image by digest"
    elif missing:
        coverage = OTHER_IMAGES
        detail = f"it is not about the Snapshot's {', '.join(missing)}"
    else:
        coverage, detail = SAME_IMAGES, f"its subjects are the Snapshot's {len(wanted)} images"
    return _with_signature(
        view, dataclasses.replace(view.vsa, coverage=coverage, coverage_detail=detail)
    )


async def find_report(
    taskruns: list[Obj],
    pipelinerun: Obj | None,
    catalogue: RuleCatalogue,
    vsa_keys: tuple[PublicKey, ...] = (),
) -> ReportView | None:
    """The best report among a PipelineRun's TaskRuns (and its own results), or None;
    a VSA's signature is checked against `vsa_keys`."""
    candidates: list[tuple[str, Obj]] = [
        (f"TaskRun {(tr.get('metadata') or {}).get('name')}", _results_of(tr)) for tr in taskruns
    ]
    if pipelinerun is not None:
        name = (pipelinerun.get("metadata") or {}).get("name")
        candidates.append((f"PipelineRun {name}", _results_of(pipelinerun)))
    problems: list[str] = []
    for wanted in (REPORT_RESULT, VSA_RESULT, c.TEST_OUTPUT_RESULT):
        for where, results in candidates:
            if wanted not in results:
                continue
            origin = f"{where}, result {wanted}"
            try:
                text = _text(results[wanted], origin)
                if wanted == REPORT_RESULT:
                    view = await report_view(
                        report_from_document(json.loads(text)), origin, catalogue
                    )
                elif wanted == VSA_RESULT:
                    view = vsa_view(text, origin, vsa_keys)
                else:
                    summary = json.loads(text)
                    if not isinstance(summary, dict):
                        raise ValueError("TEST_OUTPUT is not a JSON object")
                    view = ReportView(
                        origin=origin,
                        kind="test-output",
                        success=summary.get("result") in c.PASSING_TEST_RESULTS,
                        summary=summary,
                        counts={k: summary.get(k) for k in ("failures", "warnings", "successes")},
                    )
            except (ValueError, RecursionError, KonfluxError) as exc:
                problems.append(f"{origin} could not be read: {exc}")
                continue
            view.problems[:0] = problems
            return view
    if problems:
        return ReportView(origin="", kind="none", problems=problems)
    return None
