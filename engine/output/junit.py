"""JUnit XML: a testsuite per component, a testcase per result (violations fail, warnings skip)."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from konflux.engine.output.documents import rfc3339, sorted_targets
from konflux.engine.report import Report, Result


def _case_name(r: Result) -> str:
    meta = {k: v for k, v in r.metadata.items() if k != "code"}
    desc = ", ".join(
        sorted(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in meta.items())
    )
    name = r.message + (f" [{desc}]" if desc else "")
    return f"{r.code}: {name}" if r.code else name


def junit_report(report: Report) -> str:
    suites = ET.Element("testsuites")
    for t in sorted_targets(report):
        cases = (
            [(r, None) for r in t.outcome.successes]
            + [(r, "failure") for r in t.outcome.violations]
            + [(r, "skipped") for r in t.outcome.warnings]
        )
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"{t.name} ({t.image or t.name})",
            tests=str(len(cases)),
            failures=str(len(t.outcome.violations)),
            errors="0",
            skipped=str(len(t.outcome.warnings)),
            timestamp=rfc3339(report.created),
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("image", t.image),
            ("key", report.key),
            ("success", str(t.success)),
        ):
            ET.SubElement(
                props,
                "property",
                name=name,
                value=value.lower() if name == "success" else value,
            )
        for sig in t.signatures:
            ET.SubElement(props, "property", name="keyId", value=str(sig.get("keyid", "")))
            ET.SubElement(props, "property", name="signature", value=str(sig.get("sig", "")))
        for r, kind in cases:
            name = _case_name(r)
            case = ET.SubElement(suite, "testcase", name=name, classname=name)
            if kind:
                ET.SubElement(case, kind, message=r.message).text = r.message
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")
