"""Reading a JSON report document (`--output json`) back into the one report model.

The writers in `documents.py` turn a `Report` into `ec`'s JSON document; this is
their inverse, for programs that show reports others wrote (the web console reads
them from a PipelineRun's results). A report found in a cluster was written by a
pipeline the reader may not trust, so every field is type-checked and a
malformed document is a `ReportFormatError` naming the JSON path, never a
half-read report.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from konflux.engine.errors import KonfluxError
from konflux.engine.report import Outcome, Report, Result, TargetReport


class ReportFormatError(KonfluxError):
    """A document is not a JSON report as `validate image`/`validate input` write it."""


def _expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ReportFormatError(f"{where}: expected {names}, got {type(value).__name__}")
    return value


def _optional(value: Any, kind: type, where: str) -> Any:
    """An optional field: absent (None) is its empty value, anything else must have the type."""
    return kind() if value is None else _expect(value, kind, where)


def _results(value: Any, where: str) -> list[Result]:
    if value is None:
        return []
    out = []
    for i, item in enumerate(_expect(value, list, where)):
        at = f"{where}[{i}]"
        _expect(item, dict, at)
        message = _optional(item.get("msg"), str, f"{at}.msg")
        metadata = _optional(item.get("metadata"), dict, f"{at}.metadata")
        outputs = item.get("outputs")
        if outputs is not None:
            outputs = [_expect(o, str, f"{at}.outputs") for o in _expect(outputs, list, at)]
        out.append(Result(message, dict(metadata), outputs))
    return out


def _checks(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    return [_expect(v, dict, f"{where}[{i}]") for i, v in enumerate(_expect(value, list, where))]


def _target(entry: Any, where: str, image: bool) -> TargetReport:
    _expect(entry, dict, where)
    outcome = Outcome(
        violations=_results(entry.get("violations"), f"{where}.violations"),
        warnings=_results(entry.get("warnings"), f"{where}.warnings"),
        successes=_results(entry.get("successes"), f"{where}.successes"),
    )
    if image:
        return TargetReport(
            name=_expect(entry.get("name", ""), str, f"{where}.name"),
            outcome=outcome,
            image=_expect(entry.get("containerImage", ""), str, f"{where}.containerImage"),
            source=_optional(entry.get("source"), dict, f"{where}.source"),
            signatures=_checks(entry.get("signatures"), f"{where}.signatures"),
            attestations=_checks(entry.get("attestations"), f"{where}.attestations"),
        )
    return TargetReport(
        name=_expect(entry.get("filepath", ""), str, f"{where}.filepath"), outcome=outcome
    )


def _time(value: Any, where: str) -> datetime:
    text = _expect(value, str, where)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ReportFormatError(f"{where}: {text!r} is not an RFC 3339 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def report_from_document(doc: Any) -> Report:
    """The `Report` a JSON report document describes (image or input report)."""
    _expect(doc, dict, "report")
    image = "components" in doc
    if not image and "filepaths" not in doc:
        raise ReportFormatError("report: neither 'components' nor 'filepaths' is present")
    key = "components" if image else "filepaths"
    entries = _optional(doc.get(key), list, f"report.{key}")
    targets = [_target(e, f"report.{key}[{i}]", image) for i, e in enumerate(entries)]
    success = doc.get("success")
    report = Report(
        targets=targets,
        policy=_optional(doc.get("policy"), dict, "report.policy"),
        effective_time=_time(doc.get("effective-time", "1970-01-01T00:00:00Z"), "effective-time"),
        version=_expect(doc.get("ec-version", ""), str, "report.ec-version"),
        show_successes=any(t.outcome.successes for t in targets),
        info=True,  # keep every metadata key the document carries
        kind="image" if image else "input",
        key=_expect(doc.get("key", ""), str, "report.key"),
        snapshot=_expect(doc.get("snapshot", ""), str, "report.snapshot"),
    )
    # The document's own verdict must agree with its results: a report claiming success
    # while listing violations was not written by our writers and is not shown as a pass.
    if success is not None and _expect(success, bool, "report.success") != report.success:
        raise ReportFormatError(
            f"report: 'success' is {success} but the results say {report.success}"
        )
    return report
