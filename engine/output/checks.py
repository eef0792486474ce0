"""Writers for `konflux test` results (conftest's `CheckResult`s), in conftest's formats.

`ec test` reports with conftest's own model and writers, not with the `ec`
report, so this is a second, small family of writers over that model:
`stdout` (conftest's standard text), `json`, `tap`, `table`, `junit`,
`github`, `azuredevops`, and `appstudio` (`ec`'s TEST_OUTPUT document).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from konflux.engine.configtest import CheckResult
from konflux.engine.output.documents import NOTES, error_document, result_word

_COLORS = {"red": "31", "yellow": "33", "cyan": "36", "green": "32", "blue": "34"}


def _paint(text: str, color: str, enabled: bool) -> str:
    return f"\x1b[{_COLORS[color]}m{text}\x1b[0m" if enabled else text


def _plural(word: str, n: int) -> str:
    return word if n == 1 else word + "s"


def _totals(results: list[CheckResult]) -> tuple[int, int, int, int]:
    return (
        sum(len(r.failures) for r in results),
        sum(len(r.exceptions) for r in results),
        sum(len(r.warnings) for r in results),
        sum(r.successes for r in results),
    )


def _summary(results: list[CheckResult]) -> str:
    failures, exceptions, warnings, successes = _totals(results)
    tests = failures + exceptions + warnings + successes
    return (
        f"{tests} {_plural('test', tests)}, {successes} passed, "
        f"{warnings} {_plural('warning', warnings)}, {failures} {_plural('failure', failures)}, "
        f"{exceptions} {_plural('exception', exceptions)}"
    )


def _where(r: CheckResult) -> tuple[str, str]:
    indicator = "-" if r.filename == "-" else f"- {r.filename}"
    namespace = "-" if r.namespace == "-" else f"- {r.namespace} -"
    return indicator, namespace


def standard(
    results: list[CheckResult], color: bool = True, suppress_exceptions: bool = False
) -> str:
    lines: list[str] = []
    for r in results:
        lines += [f"{_paint('PRNT ', 'blue', color)}  {p}" for p in r.prints]
    for r in results:
        indicator, namespace = _where(r)
        lines += [
            f"{_paint('WARN', 'yellow', color)} {indicator} {namespace} {w.msg}" for w in r.warnings
        ]
        lines += [
            f"{_paint('FAIL', 'red', color)} {indicator} {namespace} {f.msg}" for f in r.failures
        ]
        if not suppress_exceptions:
            lines += [
                f"{_paint('EXCP', 'cyan', color)} {indicator} {namespace} {e.msg}"
                for e in r.exceptions
            ]
    failures, exceptions, warnings, _ = _totals(results)
    tone = "red" if failures else "yellow" if warnings else "cyan" if exceptions else "green"
    return "\n".join([*lines, "", _paint(_summary(results), tone, color)]) + "\n"


def as_json(results: list[CheckResult]) -> str:
    return json.dumps([r.to_dict() for r in results], indent="\t", ensure_ascii=False) + "\n"


def tap(results: list[CheckResult]) -> str:
    out: list[str] = []
    for r in results:
        indicator, namespace = _where(r)
        total = r.successes + len(r.failures) + len(r.warnings) + len(r.exceptions)
        if total == 0:
            break  # conftest stops at the first file without checks
        out.append(f"1..{total}")
        n = 1
        for f in r.failures:
            out.append(f"not ok {n} {indicator} {namespace} {f.msg}")
            n += 1
        if r.warnings:
            out.append("# warnings")
            for w in r.warnings:
                out.append(f"not ok {n} {indicator} {namespace} {w.msg}")
                n += 1
        if r.exceptions:
            out.append("# exceptions")
            for e in r.exceptions:
                out.append(f"ok {n} {indicator} {namespace} {e.msg}")
                n += 1
        if r.successes:
            out.append("# successes")
            for _ in range(r.successes):
                out.append(f"ok {n} {indicator} {namespace} SUCCESS")
                n += 1
    return "\n".join(out) + ("\n" if out else "")


def table(results: list[CheckResult]) -> str:
    rows: list[tuple[str, str, str, str]] = []
    for r in results:
        rows += [("success", r.filename, r.namespace, "SUCCESS")] * r.successes
        rows += [("exception", r.filename, r.namespace, e.msg) for e in r.exceptions]
        rows += [("warning", r.filename, r.namespace, w.msg) for w in r.warnings]
        rows += [("failure", r.filename, r.namespace, f.msg) for f in r.failures]
    if not rows:
        return ""
    head = ("RESULT", "FILE", "NAMESPACE", "MESSAGE")
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(4)]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(row: tuple[str, ...]) -> str:
        return "|" + "|".join(f" {c:<{w}} " for c, w in zip(row, widths, strict=True)) + "|"

    return "\n".join([rule, line(head), rule, *(line(r) for r in rows), rule]) + "\n"


def junit(results: list[CheckResult], hide_message: bool = False) -> str:
    def name(filename: str, message: str) -> str:
        if hide_message or not message:
            return filename
        return f"{filename} - {message.splitlines()[0]}"

    by_namespace: dict[str, list[tuple[str, str | None, str]]] = {}
    for r in results:
        cases = by_namespace.setdefault(r.namespace, [])
        cases += [(name(r.filename, w.msg), "failure", w.msg) for w in r.warnings]
        cases += [(name(r.filename, f.msg), "failure", f.msg) for f in r.failures]
        cases += [(name(r.filename, ""), None, "")] * r.successes
    suites = ET.Element("testsuites")
    for namespace, cases in by_namespace.items():
        failed = sum(1 for _, kind, _ in cases if kind)
        suite = ET.SubElement(
            suites,
            "testsuite",
            tests=str(len(cases)),
            failures=str(failed),
            time="0.000",
            name=f"conftest.{namespace}",
        )
        for case_name, kind, message in cases:
            case = ET.SubElement(
                suite, "testcase", classname=f"conftest.{namespace}", name=case_name, time="0.000"
            )
            if kind:
                ET.SubElement(case, kind, message="Failed").text = message
    ET.indent(suites, space="\t")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def github(results: list[CheckResult]) -> str:
    def esc(v: str) -> str:
        return (
            v.replace("%", "%25")
            .replace("\r", "%0D")
            .replace("\n", "%0A")
            .replace(":", "%3A")
            .replace(",", "%2C")
        )

    out: list[str] = []
    for r in results:
        n = r.successes + len(r.failures) + len(r.warnings) + len(r.exceptions)
        loc = f"file={esc(r.filename)},line=1"
        out.append(
            f"::group::Testing {json.dumps(r.filename)} against {n} policies in namespace "
            f"{json.dumps(r.namespace)}"
        )
        out += [f"::error {loc}::{f.msg}" for f in r.failures]
        out += [f"::warning {loc}::{w.msg}" for w in r.warnings]
        out += [f"::notice {loc}::{e.msg}" for e in r.exceptions]
        out.append(f"::notice {loc}::Number of successful checks: {r.successes}")
        out.append("::endgroup::")
    out.append(_summary(results))
    return "\n".join(out) + "\n"


def azuredevops(results: list[CheckResult]) -> str:
    out: list[str] = []
    for r in results:
        n = r.successes + len(r.failures) + len(r.warnings) + len(r.exceptions)
        out.append(
            f"##[section]Testing '{r.filename}' against {n} policies in namespace '{r.namespace}'"
        )
        out.append("##[group]See conftest results")
        out += [
            f"##vso[task.logissue type=error] file={r.filename} --> {f.msg}" for f in r.failures
        ]
        out += [
            f"##vso[task.logissue type=warning] file={r.filename} --> {m.msg}"
            for m in [*r.warnings, *r.exceptions]
        ]
        if r.successes:
            out.append(f"success file={r.filename} {r.successes}")
        out.append("##[endgroup]")
    out.append(_summary(results))
    return "\n".join(out) + "\n"


def appstudio(
    results: list[CheckResult], namespaces: list[str], now: datetime | None = None
) -> str:
    """`ec test -o appstudio`: TEST_OUTPUT with the first namespace asked for, and a note."""
    failures, _, warnings, successes = _totals(results)
    word = result_word(failures, warnings, successes)
    doc = {
        "timestamp": str(int((now or datetime.now(UTC)).timestamp())),
        "namespace": namespaces[0] if namespaces else "",
        "successes": successes,
        "failures": failures,
        "warnings": warnings,
        "result": word,
        "note": NOTES[word],
    }
    return json.dumps(doc, separators=(",", ":")) + "\n"


def appstudio_error(prefix: str, error: Exception) -> str:
    return (
        json.dumps(error_document(prefix, error, datetime.now(UTC)), separators=(",", ":")) + "\n"
    )


FORMATS: dict[str, Callable[..., str]] = {
    "stdout": standard,
    "json": as_json,
    "tap": tap,
    "table": table,
    "junit": junit,
    "github": github,
    "azuredevops": azuredevops,
    "appstudio": appstudio,
}
