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
    DIGEST,
    MANAGED,
    SNAP_FAILED,
    TENANT,
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
    NOT_COMPARED,
    OTHER_IMAGES,
    SAME_IMAGES,
    UNCHECKED,
    UNSIGNED,
    VERIFIED,
    compare_subjects,
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
SNAPSHOT_IMAGE = f"registry.local/team-a/web@{DIGEST}"  # what small_world's Snapshots hold
VSA_RELEASE = "shop-3-vsa"
WHEN = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)


def report(*, passed: bool, image: str = IMAGE) -> Report:
    violations = [] if passed else [Result("no vendor label", {"code": "labels.required"})]
    target = TargetReport("web", Outcome(violations=violations), image=image)
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
        # about the image of small_world's Snapshot SNAP_FAILED
        "snapshot": signed_vsa(report(passed=True, image=SNAPSHOT_IMAGE), trusted),
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


def test_a_verified_vsa_about_other_images_gives_no_verdict(keys):
    view = view_of(vsas(keys)["passed"], (keys["public"],))
    assert view.vsa.coverage == NOT_COMPARED and view.success is True
    other = compare_subjects(view_of(vsas(keys)["passed"], (keys["public"],)), [SNAPSHOT_IMAGE])
    assert other.vsa.coverage == OTHER_IMAGES and other.success is None
    assert SNAPSHOT_IMAGE in other.vsa.coverage_detail
    same = compare_subjects(view_of(vsas(keys)["passed"], (keys["public"],)), [IMAGE])
    assert same.vsa.coverage == SAME_IMAGES and same.success is True
    by_tag = compare_subjects(view_of(vsas(keys)["passed"], (keys["public"],)), ["r/web:1"])
    assert by_tag.vsa.coverage == NOT_COMPARED and by_tag.success is True


def test_subjects_of_an_unverified_vsa_never_make_a_verdict(keys):
    view = compare_subjects(view_of(vsas(keys)["tampered"], (keys["public"],)), [IMAGE])
    assert view.vsa.coverage == SAME_IMAGES and view.success is None


# --- the pages, served over the emulator -----------------------------------------------------


def _vsa_runs(variants: dict[str, str], *, of_snapshot: str = "") -> list[dict[str, Any]]:
    """A managed PipelineRun and its verify TaskRun (holding only a VSA) per variant; with
    `of_snapshot`, labelled as release-service labels the managed run of that Snapshot."""
    out = []
    labels = {c.SNAPSHOT_LABEL: of_snapshot, c.RELEASE_NAMESPACE_LABEL: TENANT}
    for name, vsa in variants.items():
        run = f"vsa-{name}" + ("-of-snapshot" if of_snapshot else "")
        ok = "False" if name == "failed" else "True"
        succeeded = {"type": c.SUCCEEDED_CONDITION, "status": ok, "reason": "Done"}
        pipelinerun = k8s_object(
            c.PIPELINE_RUN,
            run,
            MANAGED,
            {"pipelineRef": {"name": "release"}},
            status={"conditions": [succeeded]},
            metadata={"labels": labels if of_snapshot else {}},
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


def vsa_release(run: str) -> dict[str, Any]:
    """A Release of SNAP_FAILED whose managed PipelineRun is `run`."""
    release = k8s_object(
        c.RELEASE,
        VSA_RELEASE,
        TENANT,
        {"snapshot": SNAP_FAILED, "releasePlan": "to-prod"},
        created="2026-01-03T00:00:00Z",
        status={"target": MANAGED, "managedProcessing": {"pipelineRun": f"{MANAGED}/{run}"}},
    )
    return dump_entry(c.RELEASE, release)


@pytest.fixture(scope="module")
def served(keys):
    made = vsas(keys)
    runs = _vsa_runs(made) + _vsa_runs(
        {"passed": made["passed"], "snapshot": made["snapshot"]}, of_snapshot=SNAP_FAILED
    )
    world = small_world() + runs + [vsa_release("vsa-snapshot-of-snapshot")]
    with ServedConsole(world, vsa_keys=(keys["public"],)) as s:
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


def test_page_compares_the_subjects_with_the_runs_snapshot(served):
    copied = verdict_html(page(served, "vsa-passed-of-snapshot"))
    assert '<span class="badge bad">about other images</span>' in copied
    assert f"it is not about the Snapshot&#39;s {SNAPSHOT_IMAGE}" in copied
    assert '<span class="badge ok">PASSED</span>' not in copied
    same = verdict_html(page(served, "vsa-snapshot-of-snapshot"))
    assert '<span class="badge ok">PASSED</span>' in same
    assert "subjects: its subjects are the Snapshot&#39;s 1 images." in same


def test_release_page_compares_the_vsa_with_the_releases_snapshot(served):
    status, body, _ = fetch(served, f"/ns/{TENANT}/releases/{VSA_RELEASE}", "admin")
    assert status == 200, body
    verdict = verdict_html(body)
    assert '<span class="badge ok">PASSED</span>' in verdict
    assert "its subjects are the Snapshot&#39;s 1 images" in verdict
