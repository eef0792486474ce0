"""What the application page says about Components, and how a report is rendered, in the HTML
the console serves over the emulator.

Components: the git source and revision, the last promoted image, the newest build
PipelineRun's outcome and the Pipelines-as-Code state, the latter written by the build
controller's own reconcile (`controllers/build.py`). Reports: per component, violations
with the rule's title, description, term and solution; warnings with their effective
date; successes folded; the signature and attestation checks; the pinned policy sources.
"""

from __future__ import annotations

import html
import json
import re
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from console_support import (
    APP,
    DIGEST,
    EXAMPLES,
    RELEASE_FAILED,
    TENANT,
    ServedConsole,
    dump_entry,
    fetch,
    k8s_object,
    small_world,
)

from konflux.controllers import constants as c
from konflux.controllers.build import BuildWorld, reconcile_component
from konflux.controllers.operators import apply
from konflux.engine.image.input import attestation_summary
from konflux.engine.output.documents import report_document
from konflux.engine.report import Outcome, Report, Result, TargetReport

REVISION = "0123456789abcdef0123456789abcdef01234567"
WEB_IMAGE = f"registry.local/team-a/web@{DIGEST}"
DATA_SOURCE = "oci::registry.local/policy-data@sha256:" + "d" * 64
PAC_ERROR = "GitHub App is not installed in the repository"
SLSA = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://tekton.dev/chains/v2/slsa-tekton"


def build_run(name: str, component: str, created: str, succeeded: str | None) -> dict[str, Any]:
    conditions = (
        []
        if succeeded is None
        else [{"type": c.SUCCEEDED_CONDITION, "status": succeeded, "reason": "Done"}]
    )
    labels = {
        c.APPLICATION_LABEL: APP,
        c.PIPELINE_TYPE_LABEL: c.PIPELINE_TYPE_BUILD,
        c.COMPONENT_LABEL: component,
    }
    run = k8s_object(
        c.PIPELINE_RUN,
        name,
        TENANT,
        {"pipelineRef": {"name": "build"}},
        created=created,
        metadata={"labels": labels},
        status={"conditions": conditions},
    )
    return dump_entry(c.PIPELINE_RUN, run)


def full_report() -> str:
    """A report with every part the page renders, as `validate image --output json` writes it."""
    provenance = {"_type": "https://in-toto.io/Statement/v1", "predicateType": SLSA,
                  "predicate": {"buildDefinition": {"buildType": BUILD_TYPE}}}  # fmt: skip
    report = Report(
        targets=[
            TargetReport(
                "web",
                Outcome(
                    violations=[
                        Result(
                            'The required label "vendor" is missing',
                            {"code": "image.required_labels", "term": "vendor"},
                        )
                    ],
                    warnings=[
                        Result(
                            "No SLSA provenance attestation was verified",
                            {"code": "image.provenance_present", "effective_on": "2099-01-01"},
                        )
                    ],
                    successes=[Result("Pass", {"code": "image.allowed_builder"})],
                ),
                image=WEB_IMAGE,
                signatures=[{"keyid": "chains-key-1", "sig": "MEUCIQ"}],
                attestations=[attestation_summary(provenance, [{"keyid": "chains-key-1"}])],
            ),
        ],
        policy={
            "sources": [
                {"name": "release", "policy": [str(EXAMPLES / "image")], "data": [DATA_SOURCE]}
            ]
        },
        effective_time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        kind="image",
        key="-----BEGIN PUBLIC KEY-----",
        show_successes=True,  # --show-successes, as verify-conforma's report result is written
    )
    return json.dumps(report_document(report))


def world() -> list[dict[str, Any]]:
    dump = small_world(full_report())
    for entry in dump:
        obj = entry["object"]
        if obj["kind"] == "Component" and obj["metadata"]["name"] == "web":
            obj["spec"]["source"]["git"] |= {"revision": REVISION, "context": "services/web"}
            obj["spec"]["containerImage"] = "registry.local/team-a/web"
    # upstream build-service's annotation when onboarding failed
    pac_error = {"pac": {"state": "error", "error-id": 74, "error-message": PAC_ERROR}}
    api = k8s_object(
        c.COMPONENT,
        "api",
        TENANT,
        {"application": APP, "source": {"git": {"url": "https://git.example/api"}}},
        metadata={"annotations": {c.BUILD_STATUS_ANNOTATION: json.dumps(pac_error)}},
    )
    return [
        *dump,
        dump_entry(c.COMPONENT, api),
        build_run("web-on-push-old", "web", "2026-01-01T00:00:00Z", "False"),
        build_run("web-on-push-new", "web", "2026-01-03T00:00:00Z", "True"),
        build_run("api-on-push-1", "api", "2026-01-03T00:00:00Z", None),
    ]


@pytest.fixture(scope="module")
def served():
    with ServedConsole(world()) as s:

        async def onboard_web(cluster: Any) -> None:
            # The build controller's own reconcile onboards `web` to Pipelines-as-Code.
            web = await cluster.client.get(c.COMPONENT, TENANT, "web")
            await apply(cluster.client, reconcile_component(BuildWorld(web)))

        s.call(onboard_web)
        yield s


def get(served: ServedConsole, path: str) -> str:
    status, body, _ = fetch(served, path, "admin")
    assert status == 200, body
    return body


def rows(page: str, table: str) -> dict[str, str]:
    """The rows of `<table class=table>`, keyed by their first cell's text."""
    body = re.search(rf'<table class="{table}">(.*?)</table>', page, re.S)
    assert body, page
    out = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)[1:]:
        first = re.sub(r"<[^>]+>", "", re.search(r"<td>(.*?)</td>", row, re.S).group(1)).strip()
        out[first] = row
    return out


def cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_component_rows_show_source_promoted_image_build_and_pac(served):
    page = get(served, f"/ns/{TENANT}/applications/{APP}")
    by_name = rows(page, "components")
    assert set(by_name) == {"web", "api"}
    _, source, promoted, build, pac = cells(by_name["web"])
    assert "<code>https://git.example/web</code>" in source
    assert "services/web" in source and f"@ {REVISION[:12]}" in text(source)
    assert f'title="{WEB_IMAGE}"' in by_name["web"]
    assert text(promoted) == f"registry.local/team-a/web@{DIGEST[:19]}…"
    # the newest build PipelineRun, not the older failed one
    assert '<span class="badge ok"' in build and ">Succeeded</span>" in build
    assert f'href="/ns/{TENANT}/pipelineruns/web-on-push-new"' in build
    assert "web-on-push-old" not in page
    assert text(pac) == "enabled"

    _, source, promoted, build, pac = cells(by_name["api"])
    assert "<code>https://git.example/api</code>" in source and "@" not in text(source)
    assert text(promoted) == "none yet"
    assert '<span class="badge busy"' in build and ">Running</span>" in build
    assert f'href="/ns/{TENANT}/pipelineruns/api-on-push-1"' in build
    assert text(pac) == f"error {PAC_ERROR}"


def test_component_without_builds_or_pac_says_so(served):
    async def add_bare(cluster: Any) -> None:
        await cluster.client.create(
            c.COMPONENT,
            {
                "apiVersion": c.COMPONENT.api_version,
                "kind": c.COMPONENT.kind,
                "metadata": {"name": "bare", "namespace": TENANT},
                "spec": {"application": APP},
            },
        )

    served.call(add_bare)
    deadline = time.monotonic() + 10
    while "bare" not in (
        by_name := rows(get(served, f"/ns/{TENANT}/applications/{APP}"), "components")
    ):
        assert time.monotonic() < deadline, by_name  # the read cache lives 0.2 s
        time.sleep(0.1)
    row = by_name["bare"]
    _, source, promoted, build, pac = cells(row)
    assert text(source) == "" and text(promoted) == "none yet"
    assert '<span class="badge none">no build</span>' in build
    assert text(pac) == "not requested"


# --- a report, rendered -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_html(served) -> str:
    page = get(served, f"/ns/{TENANT}/releases/{RELEASE_FAILED}")
    section = re.search(r'<section class="report" id="report">(.*?)</section>', page, re.S)
    assert section, page
    return section.group(1)


def finding(report_html: str, kind: str, code: str) -> str:
    for item in re.findall(rf'<li class="finding {kind}">(.*?)</li>', report_html, re.S):
        if f'<span class="code">{code}</span>' in item:
            return item
    raise AssertionError(f"no {kind} {code} in {report_html}")


def test_violation_shows_title_message_term_description_and_solution(report_html):
    item = finding(report_html, "violation", "image.required_labels")
    assert '<strong class="rule-title">Required labels</strong>' in item
    assert text(item).count('The required label "vendor" is missing') == 1
    assert '<p class="term">Term: <code>vendor</code></p>' in item
    assert (
        '<p class="description">The image configuration carries every label listed in '
        "required_labels.</p>" in item
    )
    assert "Add the label with a LABEL instruction in the Containerfile." in item
    # violations come before warnings, which come before the folded successes
    order = [report_html.index(h) for h in ("<h4>Violations</h4>", "<h4>Warnings</h4>")]
    assert order == sorted(order) and order[1] < report_html.index('<details class="successes">')


def test_warning_shows_its_effective_date(report_html):
    item = finding(report_html, "warning", "image.provenance_present")
    assert '<p class="effective">Effective on 2099-01-01</p>' in item
    assert "Provenance present" in item and "No SLSA provenance attestation was verified" in item


def test_successes_are_folded_under_a_count(report_html):
    folded = re.search(r'<details class="successes"><summary>(.*?)</summary>(.*?)</details>',
                       report_html, re.S)  # fmt: skip
    assert folded and folded.group(1) == "1 successes"
    assert '<details class="successes" open' not in report_html
    item = finding(folded.group(2), "success", "image.allowed_builder")
    assert "Allowed builder" in item and "Solution" not in item  # no advice for a pass


def test_signature_and_attestation_checks_are_listed(report_html):
    checks = re.search(r'<details class="checks">(.*?)</details>', report_html, re.S)
    assert checks
    assert text(checks.group(1)).startswith(
        "Signature and attestation checks (1 signatures, 1 attestations)"
    )
    assert "image signature by key <code>chains-key-1</code>" in checks.group(1)
    assert f"attestation <code>{SLSA}</code> (build type <code>{BUILD_TYPE}</code>)" in (
        checks.group(1)
    )
    assert "verified with a public key" in report_html


def test_pinned_policy_sources_are_listed(report_html):
    sources = re.search(r'<details class="sources">(.*?)</details>', report_html, re.S)
    assert sources
    assert f"<code>{EXAMPLES / 'image'}</code>" in sources.group(1)
    assert f"data: <code>{DATA_SOURCE}</code>" in sources.group(1)
    assert "Policy sources, pinned" in sources.group(1)


def test_managed_namespace_report_origin_is_named(report_html):
    assert f"From TaskRun {RELEASE_FAILED}-managed-0-verify, result REPORT_JSON." in text(
        report_html
    )
