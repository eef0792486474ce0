"""A VSA result is shown as a verdict only when its signature verifies with a key the console
was given (`console serve --vsa-public-key`); otherwise the page says why it is not one.

The VSAs are made by the engine's own code (`engine/output/vsa.py`, `signed_vsa`) with real
ECDSA keys; tampering changes the signed payload after signing, as a tenant who can write
TaskRun results could.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import chromium
from console_support import (
    MANAGED,
    ServedConsole,
    dump_entry,
    fetch,
    k8s_object,
    small_world,
)
from selenium.webdriver.common.by import By
from test_console_browser import login, main_text, shot

from konflux.console.catalogue import RuleCatalogue
from konflux.console.reports import (
    INVALID,
    UNCHECKED,
    UNSIGNED,
    VERIFIED,
    find_report,
    key_name,
)
from konflux.controllers import constants as c
from konflux.engine.output.vsa import signed_vsa, vsa_statement
from konflux.engine.report import Outcome, Report, Result, TargetReport
from konflux.engine.sigstore.keys import (
    PrivateKey,
    generate_private_key,
    load_public_key,
    pem_encode,
)
from konflux.engine.vsa_store import policy_digest

IMAGE = "registry.local/team-a/web@sha256:" + "cd" * 32
WHEN = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)


def report(*, passed: bool) -> Report:
    violations = [] if passed else [Result("no vendor label", {"code": "labels.required"})]
    target = TargetReport("web", Outcome(violations=violations), image=IMAGE)
    policy = {"sources": [{"name": "release", "policy": ["oci::quay.io/p@sha256:" + "1" * 64]}]}
    return Report(targets=[target], policy=policy, effective_time=WHEN, created=WHEN, kind="image")


def tampered(envelope_json: str, result: str) -> str:
    """The envelope with its statement's verdict rewritten and the old signature kept."""
    envelope = json.loads(envelope_json)
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["verificationResult"] = result
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    return json.dumps(envelope)


def unsigned_envelope(envelope_json: str) -> str:
    envelope = json.loads(envelope_json)
    envelope["signatures"] = []
    return json.dumps(envelope)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The console's trusted VSA key (read from a PEM file as `--vsa-public-key` reads it)
    and another key nobody told the console about."""
    trusted, other = generate_private_key(), generate_private_key()
    path = tmp_path_factory.mktemp("vsa-key") / "vsa.pub"
    path.write_bytes(trusted.public.pem)
    return {"trusted": trusted, "other": other, "public": load_public_key(str(path))}


def vsas(keys: dict[str, Any]) -> dict[str, str]:
    trusted: PrivateKey = keys["trusted"]
    passed, failed = (
        signed_vsa(report(passed=True), trusted),
        signed_vsa(report(passed=False), trusted),
    )
    return {
        "passed": passed,
        "failed": failed,
        "tampered": tampered(failed, "PASSED"),  # a FAILED verdict rewritten to PASSED
        "other-key": signed_vsa(report(passed=True), keys["other"]),
        "unsigned-envelope": unsigned_envelope(passed),
        "bare-statement": json.dumps(vsa_statement(report(passed=True))),
    }


def taskrun(name: str, vsa: str) -> dict[str, Any]:
    return {
        "metadata": {"name": f"{name}-verify"},
        "status": {"results": [{"name": "VSA", "value": vsa}]},
    }


def view_of(vsa: str, keys: tuple[Any, ...]) -> Any:
    return asyncio.run(find_report([taskrun("run", vsa)], None, RuleCatalogue(), keys))


@pytest.mark.parametrize(
    ("case", "state", "success"),
    [
        ("passed", VERIFIED, True),
        ("failed", VERIFIED, False),
        ("tampered", INVALID, None),
        ("other-key", INVALID, None),
        ("unsigned-envelope", UNSIGNED, None),
        ("bare-statement", UNSIGNED, None),
    ],
)
def test_a_vsa_verdict_counts_only_when_its_signature_verifies(keys, case, state, success):
    view = view_of(vsas(keys)[case], (keys["public"],))
    assert view.kind == "vsa" and not view.problems
    assert view.vsa.state == state
    assert view.success is success
    assert view.vsa.subjects == (IMAGE,)


def test_the_tampered_vsa_claims_a_pass_and_the_view_says_what_failed(keys):
    view = view_of(vsas(keys)["tampered"], (keys["public"],))
    assert view.vsa.claimed == "PASSED"
    assert "accepted signatures do not match threshold" in view.vsa.detail
    assert key_name(keys["public"]) in view.vsa.detail


def test_without_a_vsa_key_a_signed_vsa_is_not_checked(keys):
    view = view_of(vsas(keys)["passed"], ())
    assert view.vsa.state == UNCHECKED and view.success is None
    assert "--vsa-public-key" in view.vsa.detail


def test_a_statement_that_is_not_a_vsa_is_named_and_not_shown(keys):
    statement = vsa_statement(report(passed=True)) | {
        "predicateType": "https://slsa.dev/provenance/v1"
    }
    view = view_of(json.dumps(statement), (keys["public"],))
    assert view.kind == "none"
    assert any("not a VSA" in p for p in view.problems)


# --- the pages, served over the emulator -----------------------------------------------------


def _vsa_runs(variants: dict[str, str]) -> list[dict[str, Any]]:
    """A managed PipelineRun and its verify TaskRun (holding only a VSA) per variant."""
    out = []
    for name, vsa in variants.items():
        run = f"vsa-{name}"
        ok = "False" if name == "failed" else "True"
        succeeded = {"type": c.SUCCEEDED_CONDITION, "status": ok, "reason": "Done"}
        pipelinerun = k8s_object(
            c.PIPELINE_RUN,
            run,
            MANAGED,
            {"pipelineRef": {"name": "release"}},
            status={"conditions": [succeeded]},
        )
        verify = k8s_object(
            c.TASK_RUN,
            f"{run}-verify",
            MANAGED,
            {},
            metadata={"labels": {c.TEKTON_PIPELINE_RUN_LABEL: run}},
            status={"conditions": [succeeded], "results": [{"name": "VSA", "value": vsa}]},
        )
        out += [dump_entry(c.PIPELINE_RUN, pipelinerun), dump_entry(c.TASK_RUN, verify)]
    return out


def verdict_html(page: str) -> str:
    """The report section's verdict paragraph."""
    match = re.search(r'<p class="verdict vsa-[a-z]+">(.*?)</p>', page, re.S)
    assert match, page
    return match.group(0)


@pytest.fixture(scope="module")
def served(keys):
    with ServedConsole(small_world() + _vsa_runs(vsas(keys)), vsa_keys=(keys["public"],)) as s:
        yield s


def page(served: ServedConsole, run: str) -> str:
    status, body, _ = fetch(served, f"/ns/{MANAGED}/pipelineruns/{run}", "admin")
    assert status == 200, body
    return body


def test_page_shows_a_verified_pass_and_a_verified_failure(served, keys):
    passed = verdict_html(page(served, "vsa-passed"))
    assert 'class="verdict vsa-verified"' in passed
    assert '<span class="badge ok">PASSED</span>' in passed
    assert f"signature verified with {key_name(keys['public'])}" in passed
    failed = verdict_html(page(served, "vsa-failed"))
    assert '<span class="badge bad">FAILED</span>' in failed
    body = page(served, "vsa-passed")
    assert "2026-02-03T04:05:06Z" in body and IMAGE in body  # time verified, subject
    digest = policy_digest(report(passed=True).policy)
    assert "Its statement: time verified 2026-02-03T04:05:06Z" in body
    assert f"policy digest <code>sha256:{digest}</code>" in body


@pytest.mark.parametrize(
    ("run", "badge", "claim"),
    [
        ("vsa-tampered", '<span class="badge bad">signature invalid</span>', "PASSED"),
        ("vsa-other-key", '<span class="badge bad">signature invalid</span>', "PASSED"),
        ("vsa-unsigned-envelope", '<span class="badge warn">unsigned</span>', "PASSED"),
        ("vsa-bare-statement", '<span class="badge warn">unsigned</span>', "PASSED"),
    ],
)
def test_page_never_shows_an_unverified_vsa_as_passed(served, run, badge, claim):
    verdict = verdict_html(page(served, run))
    assert badge in verdict
    assert f"The VSA claims <code>{claim}</code>" in verdict
    assert 'class="badge ok"' not in verdict
    assert "What it says (unverified): time verified" in page(served, run)


def test_page_without_a_vsa_key_says_the_signature_was_not_checked(keys):
    with ServedConsole(small_world() + _vsa_runs({"passed": vsas(keys)["passed"]})) as plain:
        verdict = verdict_html(page(plain, "vsa-passed"))
    assert '<span class="badge warn">signature not checked</span>' in verdict
    assert "--vsa-public-key" in verdict and 'class="badge ok"' not in verdict


def test_serve_refuses_a_vsa_key_that_is_not_a_public_key(tmp_path):
    from click.testing import CliRunner

    from konflux.cli.web_console import console

    private = tmp_path / "vsa.key"
    private.write_bytes(pem_encode("PRIVATE KEY", generate_private_key().pkcs8()))
    result = CliRunner().invoke(console, ["serve", "--vsa-public-key", str(private)])
    assert result.exit_code == 1
    assert "--vsa-public-key" in result.output and "private key" in result.output


def test_browser_shows_a_tampered_vsa_as_signature_invalid(served, tmp_path, screenshots):
    """In Chromium, as a person reads it (its own profile: the session browser's cookie
    belongs to another console on the same host)."""
    driver = chromium(tmp_path / "profile")
    try:
        login(driver, served)
        driver.get(f"{served.url}/ns/{MANAGED}/pipelineruns/vsa-tampered")
        verdict = driver.find_element(By.CSS_SELECTOR, "#report .verdict").text
        assert verdict.startswith("signature invalid The VSA claims PASSED")
        assert "PASSED" not in [b.text for b in driver.find_elements(By.CSS_SELECTOR, ".badge.ok")]
        assert "result VSA" in main_text(driver)
        shot(driver, screenshots, "9-vsa-tampered")
    finally:
        driver.quit()
