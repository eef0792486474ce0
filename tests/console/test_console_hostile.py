"""Hostile input: a tenant writes its own PipelineRun results and object fields; a stranger
crafts links and forms. None of it may pass, escape the page, or read the console's files."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from console_support import (
    MANAGED,
    MANAGED_RUN,
    RELEASE_FAILED,
    TENANT,
    ServedConsole,
    fetch,
    small_world,
    violation_report,
)

from konflux.controllers import constants as c

RELEASE_PAGE = f"/ns/{TENANT}/releases/{RELEASE_FAILED}"
RUN_PAGE = f"/ns/{MANAGED}/pipelineruns/{MANAGED_RUN}"


def _report_page(report_json: str, *, allow_local: bool = True) -> str:
    with ServedConsole(small_world(report_json), allow_local=allow_local) as served:
        status, body, _ = fetch(served, RUN_PAGE, "admin")
    assert status == 200, body[-500:]
    return body


@pytest.mark.parametrize(
    ("report", "why"),
    [
        ("{not json", "could not be read: Expecting property name"),
        ("[" * 100_000 + "]" * 100_000, "could not be read"),
        (json.dumps({"success": True, "components": "x"}), "report.components: expected list"),
        (violation_report(), "larger than 400 bytes"),
    ],
    ids=["not-json", "deeply-nested", "wrong-shape", "oversized"],
)
def test_an_unreadable_report_is_named_and_the_summary_shown_instead(report, why, monkeypatch):
    # The API server caps objects near 1.5 MiB; a small cap here exercises the same check.
    monkeypatch.setattr("konflux.console.reports.MAX_RESULT_BYTES", 400)
    body = _report_page(report)
    assert "result REPORT_JSON could not be read" in body
    assert why in body
    assert "result TEST_OUTPUT" in body  # the next best source, said to be that
    assert "passed</span>" not in body


def test_a_report_claiming_success_over_its_violations_is_not_shown_as_a_pass():
    doc = json.loads(violation_report())
    doc["success"] = True
    body = _report_page(json.dumps(doc))
    assert "&#39;success&#39; is True but the results say False" in body
    assert "FAILURE" in body


def test_markup_in_results_is_escaped_and_only_https_links_are_made():
    hostile = violation_report(
        with_info=True, message='<script>alert("msg")</script><img src=x onerror=alert(1)>'
    )
    doc = json.loads(hostile)
    meta = doc["components"][0]["violations"][0]["metadata"]
    meta["title"] = "<b onclick=alert(2)>title</b>"
    meta["solution"] = 'See javascript:alert(3) or https://x.example/"onmouseover="alert(4) now'
    body = _report_page(json.dumps(doc))
    assert "<script>alert" not in body and "<img src=x" not in body and "<b onclick" not in body
    assert "&lt;script&gt;alert(&#34;msg&#34;)&lt;/script&gt;" in body
    assert 'href="javascript:' not in body
    # The quote stays inside the link's attribute as a character reference.
    assert '<a href="https://x.example/&#34;onmouseover=&#34;alert(4" rel=' in body


def test_local_policy_sources_named_by_a_report_are_not_read():
    report = violation_report(sources=["/etc", "file::/var/run/secrets/kubernetes.io"])
    body = _report_page(report, allow_local=False)
    assert "/etc: not loaded: the console reads only remote policy sources" in body
    assert "The policy sources did not say more about this rule." in body


def login_post(served: ServedConsole, token: str, target: str, origin: str | None = None):
    """The login form's POST, from `origin` (this console's by default)."""
    form = f"token={quote(token, safe='')}&next={quote(target, safe='')}".encode()
    headers = {"Origin": origin or served.url, "Content-Type": "application/x-www-form-urlencoded"}
    return fetch(served, "/login", headers=headers, data=form)


@pytest.fixture(scope="module")
def served():
    with ServedConsole(small_world()) as served:
        yield served


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_login_never_redirects_off_the_console(served, target):
    status, _, headers = login_post(served, served.tokens["admin"], target)
    assert status == 303 and headers["Location"] == "/"


def test_login_from_another_site_is_refused(served):
    status, _, headers = login_post(served, served.tokens["admin"], "/", "https://evil.example")
    assert status == 403 and "Set-Cookie" not in headers


def test_login_sets_a_sealed_http_only_strict_cookie_that_authenticates(served):
    status, _, headers = login_post(served, served.tokens["admin"], "/rules")
    assert status == 303 and headers["Location"] == "/rules"
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert served.tokens["admin"] not in cookie
    value = cookie.split(";")[0]
    status, body, _ = fetch(served, f"/ns/{TENANT}", headers={"Cookie": value})
    assert status == 200 and "shop" in body
    forged = value[:-3] + "AAA"
    status, _, headers = fetch(served, f"/ns/{TENANT}", headers={"Cookie": forged})
    assert status == 302 and headers["Location"].startswith("/login")


def test_a_wrong_token_at_login_is_told_and_sets_no_cookie(served):
    status, body, headers = login_post(served, "nope", "/")
    assert status == 401 and "the token was not accepted" in body and "Set-Cookie" not in headers


def test_pages_carry_a_strict_content_security_policy(served):
    _, _, headers = fetch(served, "/", "admin")
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and headers["X-Content-Type-Options"] == "nosniff"


def test_etag_answers_not_modified_until_the_page_changes(served):
    _, _, headers = fetch(served, f"/ns/{TENANT}/applications/shop", "admin")
    etag = headers["ETag"]
    status, body, _ = fetch(
        served, f"/ns/{TENANT}/applications/shop", "admin", headers={"If-None-Match": etag}
    )
    assert status == 304 and body == ""

    async def add(cluster):
        await cluster.client.create(
            c.SNAPSHOT,
            {
                "apiVersion": c.SNAPSHOT.api_version,
                "kind": "Snapshot",
                "metadata": {"name": "fresh-snap", "namespace": TENANT},
                "spec": {"application": "shop", "components": []},
            },
        )

    served.call(add)
    served.access._reads.clear()  # no waiting for the read cache to expire
    status, body, headers = fetch(
        served, f"/ns/{TENANT}/applications/shop", "admin", headers={"If-None-Match": etag}
    )
    assert status == 200 and "fresh-snap" in body and headers["ETag"] != etag


@pytest.mark.parametrize(
    "path",
    [
        f"/ns/{TENANT}/releases/..%2F..%2Fsecrets",
        f"/ns/{TENANT}/releases/%00",
        "/ns/..%2Fkube-system/applications/x",
        f"/ns/{TENANT}/policies/{'x' * 5000}",
    ],
)
def test_crafted_names_are_only_names(served, path):
    status, body, _ = fetch(served, path, "admin")
    assert status in (404, 403), (status, body[-300:])
