"""JUnit XML as `ec` writes it: go-junit-report's structures through Go's `xml.Marshal`.

One `testsuite` per component (`<name> (<image>)`) with the image, key,
success and signatures as properties; a `testcase` per success, violation
(`failure`) and warning (`skipped`), named `<code>: <message> [k=v, ...]` from
the result's reported metadata other than the code, values printed as Go's
`%v` prints them. The XML is compact, without a declaration, escaped as Go
escapes it, with the message as CDATA.
"""

from __future__ import annotations

from typing import Any

from konflux.engine.output.documents import sorted_targets
from konflux.engine.report import BRIEF_METADATA, Report, Result

_ESCAPES = {
    '"': "&#34;",
    "'": "&#39;",
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "\t": "&#x9;",
    "\n": "&#xA;",
    "\r": "&#xD;",
}


def escape(text: str) -> str:
    """Go's xml.EscapeText."""
    return "".join(_ESCAPES.get(c, c) for c in text)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def go_value(value: Any) -> str:
    """`fmt.Sprint` of a JSON-decoded Go value: `[a b]`, `map[k:v]`, `<nil>`, `true`."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def case_name(r: Result, info: bool) -> str:
    meta = {k: v for k, v in r.metadata.items() if k != "code" and (info or k in BRIEF_METADATA)}
    desc = ", ".join(sorted(f"{k}={go_value(v)}" for k, v in meta.items()))
    name = r.message + (f" [{desc}]" if desc else "")
    return f"{r.code}: {name}" if r.code else name


def _attrs(pairs: list[tuple[str, Any]]) -> str:
    return "".join(f' {k}="{escape(str(v))}"' for k, v in pairs)


def junit_report(report: Report) -> str:
    total = {"tests": 0, "errors": 0, "failures": 0, "skipped": 0}
    suites = []
    stamp = report.created.strftime("%Y-%m-%dT%H:%M:%SZ")
    for t in sorted_targets(report):
        props = [("image", t.image), ("key", report.key), ("success", str(t.success).lower())]
        for sig in t.signatures:
            props += [("keyId", sig.get("keyid", "")), ("signature", sig.get("sig", ""))]
            meta = sig.get("metadata") or {}
            props += [(f"metadata.{k}", meta[k]) for k in sorted(meta)]
        cases = []
        for kind, results in (
            (None, t.outcome.successes),
            ("failure", t.outcome.violations),
            ("skipped", t.outcome.warnings),
        ):
            for r in results:
                name = case_name(r, report.info)
                body = ""
                if kind:
                    body = f"<{kind}{_attrs([('message', r.message)])}>{_cdata(r.message)}</{kind}>"
                cases.append(
                    f"<testcase{_attrs([('name', name), ('classname', name)])}>{body}</testcase>"
                )
        counts = {
            "tests": len(cases),
            "failures": len(t.outcome.violations),
            "skipped": len(t.outcome.warnings),
        }
        for key, n in counts.items():
            total[key] += n
        attrs = [
            ("name", f"{t.name} ({t.image or t.name})"),
            ("tests", counts["tests"]),
            ("failures", counts["failures"]),
            ("errors", 0),
            ("id", 0),
        ]
        if counts["skipped"]:
            attrs.append(("skipped", counts["skipped"]))
        attrs += [("time", ""), ("timestamp", stamp)]
        properties = "".join(
            f"<property{_attrs([('name', k), ('value', v)])}></property>" for k, v in props
        )
        suites.append(
            f"<testsuite{_attrs(attrs)}><properties>{properties}</properties>"
            + "".join(cases)
            + "</testsuite>"
        )
    head = [(k, v) for k, v in total.items() if v]
    return f"<testsuites{_attrs(head)}>" + "".join(suites) + "</testsuites>"
