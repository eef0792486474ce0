"""Machine-readable documents over the report model: the JSON/YAML report, summary, TEST_OUTPUT.

Key order follows `ec` (Go struct field order); metadata keys are sorted, as
Go's maps are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from konflux.engine.report import Report, Result, TargetReport


def rfc3339(t: datetime) -> str:
    frac = f".{t.microsecond:06d}".rstrip("0") if t.microsecond else ""
    return t.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def sorted_targets(report: Report) -> list[TargetReport]:
    key = (lambda t: t.image) if report.kind == "image" else (lambda t: t.name)
    return sorted(report.targets, key=key, reverse=True)


def _results(results: list[Result], info: bool) -> list[dict[str, Any]]:
    return [r.to_dict(info=info) for r in results]


def _input_target(t: TargetReport, r: Report) -> dict[str, Any]:
    return {
        "filepath": t.name,
        "violations": _results(t.outcome.violations, r.info),
        "warnings": _results(t.outcome.warnings, r.info) if r.show_warnings else None,
        "successes": _results(t.outcome.successes, r.info) if r.show_successes else None,
        "success": t.success,
        "success-count": len(t.outcome.successes),
    }


def _image_target(t: TargetReport, r: Report) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": t.name,
        "containerImage": t.image,
        "source": t.source,
    }
    if t.outcome.violations:
        out["violations"] = _results(t.outcome.violations, r.info)
    if t.outcome.warnings:
        out["warnings"] = _results(t.outcome.warnings, r.info)
    if t.outcome.successes and r.show_successes:
        out["successes"] = _results(t.outcome.successes, r.info)
    out["success"] = t.success
    if t.signatures:
        out["signatures"] = t.signatures
    if t.attestations:
        out["attestations"] = t.attestations
    return out


# EnterpriseContractPolicySpec as Go marshals it (github:conforma/crds): struct field order,
# `omitempty` fields left out when empty, unknown fields gone. ruleData is raw JSON, kept.
_SPEC_FIELDS = ("name", "description", "sources", "configuration", "rekorUrl", "publicKey")
_SOURCE_FIELDS = ("name", "policy", "data", "ruleData", "config", "volatileConfig")
_INCLUDE_EXCLUDE = ("exclude", "include")
_VOLATILE_FIELDS = (
    "value",
    "effectiveOn",
    "effectiveUntil",
    "imageRef",
    "imageDigest",
    "imageUrl",
    "componentNames",
    "reference",
)
_IDENTITY_FIELDS = ("subject", "subjectRegExp", "issuer", "issuerRegExp")


def _ordered(value: Any, fields: tuple[str, ...], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    return {k: value[k] for k in fields if k in value and (k in keep or value[k] not in EMPTY)}


EMPTY: tuple[Any, ...] = (None, "", [], {})


def policy_document(spec: dict[str, Any]) -> dict[str, Any]:
    """The report's `policy`: the spec in `ec`'s field order and shape."""
    out = _ordered(spec, _SPEC_FIELDS[:2])
    sources = []
    for raw in spec.get("sources") or []:
        source = _ordered(raw, _SOURCE_FIELDS[:4])
        config = _ordered(raw.get("config"), _INCLUDE_EXCLUDE)
        if config:
            source["config"] = config
        volatile = {
            k: [_ordered(c, _VOLATILE_FIELDS, keep=("value",)) for c in v]
            for k, v in _ordered(raw.get("volatileConfig"), _INCLUDE_EXCLUDE).items()
        }
        if volatile:
            source["volatileConfig"] = volatile
        sources.append(source)
    if sources:
        out["sources"] = sources
    configuration = _ordered(spec.get("configuration"), (*_INCLUDE_EXCLUDE, "collections"))
    if configuration:
        out["configuration"] = configuration
    out.update(_ordered(spec, ("rekorUrl", "publicKey")))
    identity = _ordered(spec.get("identity"), _IDENTITY_FIELDS)
    if identity:
        out["identity"] = identity
    return out


def report_document(report: Report) -> dict[str, Any]:
    """The JSON report `ec validate input` / `ec validate image` writes."""
    targets = sorted_targets(report)
    if report.kind == "image":
        doc: dict[str, Any] = {"success": report.success}
        if report.snapshot:
            doc["snapshot"] = report.snapshot
        doc["components"] = [_image_target(t, report) for t in targets]
        doc["key"] = report.key
    else:
        doc = {
            "success": report.success,
            "filepaths": [_input_target(t, report) for t in targets],
        }
    doc["policy"] = policy_document(report.policy)
    doc["ec-version"] = report.version
    doc["effective-time"] = rfc3339(report.effective_time)
    return doc


def _condensed(results: list[Result]) -> dict[str, list[str]]:
    first: dict[str, list[str]] = {}
    count: dict[str, int] = {}
    for r in results:
        if not r.code:
            continue
        first.setdefault(r.code, [r.message])
        count[r.code] = count.get(r.code, 0) + 1
    for code, n in count.items():
        if n > 1:
            first[code].append(f'There are {n - 1} more "{code}" messages')
    return first


def summary_document(report: Report) -> dict[str, Any]:
    entries = [
        {
            "name": t.name,
            "success": t.success,
            "violations": _condensed(t.outcome.violations),
            "warnings": _condensed(t.outcome.warnings),
            "successes": _condensed(t.outcome.successes),
            "total_violations": len(t.outcome.violations),
            "total_warnings": len(t.outcome.warnings),
            "total_successes": len(t.outcome.successes),
        }
        for t in sorted_targets(report)
    ]
    key = "components" if report.kind == "image" else "filepaths"
    doc: dict[str, Any] = {}
    if report.kind == "image" and report.snapshot:
        doc["snapshot"] = report.snapshot
    doc[key] = entries
    doc["success"] = report.success
    doc["key"] = report.key
    return doc


def result_word(failures: int, warnings: int, successes: int, failed: bool = False) -> str:
    if failures or failed:
        return "FAILURE"
    if warnings:
        return "WARNING"
    return "SUCCESS" if successes else "SKIPPED"


NOTES = {
    "FAILURE": "Failures detected",
    "WARNING": "Warnings detected",
    "SKIPPED": "All checks were skipped",
    "SUCCESS": "All checks passed successfully",
}


def appstudio_document(report: Report) -> dict[str, Any]:
    """The TEST_OUTPUT Tekton result: counts and a result word (ec's `validate` leaves
    the note out; `ec test` and errors have one)."""
    failures, warnings, successes = report.totals()
    result = result_word(failures, warnings, successes, failed=not report.success)
    return {
        "timestamp": str(int(report.created.timestamp())),
        "namespace": "",
        "successes": successes,
        "failures": failures,
        "warnings": warnings,
        "result": result,
    }


def error_document(prefix: str, error: Exception, now: datetime) -> dict[str, Any]:
    return {
        "timestamp": str(int(now.timestamp())),
        "namespace": "",
        "successes": 0,
        "failures": 0,
        "warnings": 0,
        "result": "ERROR",
        "note": f"Error: {prefix}: {error}",
    }
