"""The controllers' gates as a bundle: a platform team's copy with a rule added decides on
the emulator, oci:: bundles are pinned and (with a key) signed, and every failure closes.

The added rules are the ones docs/controllers.md shows, read from that page, so the page
and this test cannot drift apart.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

# The e2e module's world (its names survive the kits' move to konflux.testing).
from test_controllers_e2e import MANAGED, NS, LocalCluster, finish, obj, seed_release

from konflux.cli.main import cli
from konflux.controllers import constants as c
from konflux.controllers import integration, release
from konflux.controllers.gates import DEFAULT_GATES, Gates, GatesError
from konflux.controllers.operators import OperatorConfig
from konflux.engine.policy.bundle import push_bundle
from konflux.engine.sigstore import generate_key_pair, load_private_key, sign_image
from konflux.kube import names

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "controllers.md"
FRIDAY, THURSDAY = "2026-05-01T10:00:00.000000Z", "2026-04-30T10:00:00.000000Z"


def documented_file(name: str) -> str:
    """The text of the block docs/controllers.md writes to `name` (`<!-- run: file ... -->`)."""
    text = DOC.read_text()
    found = re.search(
        rf"<!-- run: file {re.escape(name)} -->\n```[a-z]*\n(.*?)\n```", text, re.DOTALL
    )
    assert found, f"docs/controllers.md shows no file {name}"
    return found.group(1) + "\n"


def team_bundle(tmp_path: Path, *files: str) -> Path:
    """A copy of the shipped gates with the documented `files` (paths under my-gates/) added."""
    bundle = tmp_path / "my-gates"
    shutil.copytree(DEFAULT_GATES, bundle)
    for name in files:
        target = tmp_path / name
        target.write_text(documented_file(name))
    return bundle


def conditions(o: dict) -> dict[str, dict]:
    return {x["type"]: x for x in (o.get("status") or {}).get("conditions") or []}


async def snapshot_of_app(cl: LocalCluster, name: str) -> None:
    """A push Snapshot of `app`, as integration-service makes one for a push build."""
    await cl.client.create(
        c.SNAPSHOT,
        obj(
            c.SNAPSHOT,
            name,
            NS,
            {"application": "app", "components": []},
            labels={c.SNAPSHOT_TYPE_LABEL: c.SNAPSHOT_TYPE_COMPONENT, c.COMPONENT_LABEL: "api"},
        ),
    )


async def manual_release(cl: LocalCluster, name: str, created: str) -> None:
    await cl.client.create(
        c.RELEASE,
        obj(
            c.RELEASE,
            name,
            NS,
            {"snapshot": "s1", "releasePlan": "to-prod"},
            labels={c.AUTHOR_LABEL: "bob"},
            creationTimestamp=created,
        ),
    )


# --- a platform team adds a rule ----------------------------------------------------------


def test_release_freeze_added_to_a_copy_refuses_friday_releases(tmp_path: Path):
    gates = Gates.load(team_bundle(tmp_path, "my-gates/release/freeze.rego"))

    async def scenario() -> dict[str, dict[str, dict]]:
        async with LocalCluster() as cl:
            await cl.start(OperatorConfig(only=("release",), gates=gates))
            await seed_release(cl, "to-prod", "accept", ("application", "app"))
            await snapshot_of_app(cl, "s1")
            await manual_release(cl, "on-friday", FRIDAY)
            await manual_release(cl, "on-thursday", THURSDAY)

            def validated() -> dict[str, dict[str, dict]] | None:
                found = {r["metadata"]["name"]: conditions(r) for r in cl.api.live(c.RELEASE, NS)}
                done = all("Validated" in x for x in found.values()) and len(found) == 2
                return found if done else None

            return await cl.wait_for("both Releases validated or not", validated)

    found = asyncio.run(scenario())
    friday = found["on-friday"]["Validated"]
    assert friday["status"] == "False"
    assert "was created on a Friday, during the release freeze" in friday["message"]
    assert f"(gates {gates.digest})" in friday["message"]
    assert found["on-friday"]["Released"]["reason"] == "Failed"
    thursday = found["on-thursday"]["Validated"]
    assert (thursday["status"], thursday["message"]) == (
        "True",
        f"Validated (gates {gates.digest})",
    )


def test_required_scenario_added_to_a_copy_holds_promotion(tmp_path: Path):
    gates = Gates.load(team_bundle(tmp_path, "my-gates/integration/security_scan.rego"))

    async def scenario() -> tuple[dict, list[dict]]:
        async with LocalCluster() as cl:
            await cl.start(OperatorConfig(only=("integration", "release"), gates=gates))
            await seed_release(cl, "to-prod", "accept", ("application", "app"))
            await cl.client.create(
                c.SCENARIO,
                obj(
                    c.SCENARIO,
                    "conforma",
                    NS,
                    {"application": "app", "resolverRef": {"resolver": "git", "params": []}},
                ),
            )
            await snapshot_of_app(cl, "s1")
            runs = await cl.wait_for("the test run", lambda: cl.api.live(c.PIPELINE_RUN, NS))
            await finish(cl, runs[0], "SUCCESS")

            def decided() -> dict | None:
                snap = cl.api.live(c.SNAPSHOT, NS)[0]
                notes = snap["metadata"].get("annotations") or {}
                tested = "AppStudioTestSucceeded" in conditions(snap)
                return snap if tested and c.PROMOTION_ANNOTATION in notes else None

            snap = await cl.wait_for("the promotion decision", decided)
            await asyncio.sleep(0.2)  # had a Release been made, it would be there by now
            return snap, cl.api.live(c.RELEASE, NS)

    snap, releases = asyncio.run(scenario())
    record = json.loads(snap["metadata"]["annotations"][c.PROMOTION_ANNOTATION])
    assert record["promoted"] is False
    assert [d["code"] for d in record["denied"]] == ["gates.integration.security_scan_passed"]
    assert record["gates"] == gates.digest
    assert conditions(snap)["AppStudioTestSucceeded"]["status"] == "True"  # tests did pass
    assert "AutoReleased" not in conditions(snap)
    assert releases == []


def test_the_shipped_gates_promote_and_record_why():
    snapshot = {
        "metadata": {"name": "s1", "namespace": NS, "labels": {}},
        "spec": {"application": "app", "components": []},
    }
    plan = {"metadata": {"name": "to-prod", "namespace": NS}, "spec": {"application": "app"}}
    acts = integration.reconcile_snapshot(snapshot, [], [], {}, [plan], [])
    [note] = [
        p.patch["metadata"]["annotations"][c.PROMOTION_ANNOTATION]
        for p in acts.patches
        if c.PROMOTION_ANNOTATION in (p.patch.get("metadata") or {}).get("annotations", {})
    ]
    record = json.loads(note)
    assert record == {
        "promoted": True,
        "denied": [],
        "releasePlans": ["to-prod"],
        "gates": Gates.load().digest,
    }
    assert [x.body["spec"]["releasePlan"] for x in acts.creates] == ["to-prod"]


# --- failing closed ---------------------------------------------------------------------------


def erroring_bundle(tmp_path: Path) -> Path:
    """The shipped gates plus a rule whose evaluation errors: a complete rule given two
    values (a platform team's slip), which OPA reports as a conflict at evaluation."""
    bundle = team_bundle(tmp_path)
    for package in ("release", "integration"):
        (bundle / package / "broken.rego").write_text(
            f"package gates.{package}\n\nimport rego.v1\n\n"
            "frozen_days = 1 if count(input) > 0\n\n"
            "frozen_days = 2 if count(input) > 0\n\n"
            'deny contains {"code": "x", "msg": "y"} if frozen_days > 0\n'
        )
    return bundle


def test_an_evaluation_error_denies_the_release(tmp_path: Path):
    gates = Gates.load(erroring_bundle(tmp_path))
    plan = {
        "metadata": {"name": "p", "namespace": NS, "labels": {c.AUTHOR_LABEL: "a"}},
        "spec": {"application": "app", "target": MANAGED},
    }
    ctx = release.ReleaseContext(
        {"metadata": {"name": "r", "namespace": NS}, "spec": {"releasePlan": "p"}},
        plan,
        [],
        None,
        None,
        [],
    )
    acts = release.reconcile_release(ctx, gates=gates)
    validated = conditions(acts.patches[0].patch)["Validated"]
    assert validated["status"] == "False"
    assert "could not decide" in validated["message"]
    assert "eval_conflict_error" in validated["message"]
    assert not acts.creates


def test_an_evaluation_error_holds_the_snapshot(tmp_path: Path):
    """The broken rule is a promotion rule: the Snapshot's tests run, but once they are
    over (here at once: no scenario) nothing is promoted or released, and it says why."""
    gates = Gates.load(erroring_bundle(tmp_path))
    snapshot = {"metadata": {"name": "s1", "namespace": NS}, "spec": {"application": "app"}}
    plan = {"metadata": {"name": "p", "namespace": NS}, "spec": {"application": "app"}}
    acts = integration.reconcile_snapshot(snapshot, [], [], {}, [plan], [], gates=gates)
    assert not acts.creates  # no Release
    [patch] = [p for p in acts.patches if c.PROMOTION_ANNOTATION in str(p.patch)]
    record = json.loads(patch.patch["metadata"]["annotations"][c.PROMOTION_ANNOTATION])
    assert record["promoted"] is False
    assert [d["code"] for d in record["denied"]] == ["gates.error"]
    assert "eval_conflict_error" in record["denied"][0]["msg"]
    # the tests' own verdict is still written: only promotion is held
    [status] = [p.patch["status"] for p in acts.patches if p.status]
    assert {x["type"] for x in status["conditions"]} >= {"AppStudioTestSucceeded"}


def test_a_bundle_missing_a_rule_the_controllers_read_is_refused(tmp_path: Path):
    bundle = team_bundle(tmp_path)
    (bundle / "integration" / "integration.rego").unlink()
    (bundle / "integration" / "integration_test.rego").unlink()
    with pytest.raises(
        GatesError,
        match=r"does not define gates\.integration\.scenarios, .*gates\.integration\.deny",
    ):
        Gates.load(bundle)


def test_controllers_refuse_to_start_on_a_bad_bundle(tmp_path: Path):
    bundle = team_bundle(tmp_path)
    (bundle / "release" / "broken.rego").write_text("package gates.release\n\ndeny contains")
    result = CliRunner().invoke(cli, ["controllers", "run", "--gates", str(bundle)])
    assert result.exit_code == 1
    assert "the controllers cannot start" in result.output
    assert "broken.rego" in result.output


def test_a_key_needs_an_oci_bundle(tmp_path: Path):
    pair = generate_key_pair(b"")
    with pytest.raises(GatesError, match="needs an oci:: gates bundle"):
        Gates.load(DEFAULT_GATES, key=pair.public_pem.decode())


# --- oci:: bundles, pinned and signed ---------------------------------------------------------


@pytest.fixture(scope="module")
def gates_keys() -> tuple[Any, str, str]:
    pair, other = generate_key_pair(b""), generate_key_pair(b"")
    return (
        load_private_key(pair.private_pem, b""),
        pair.public_pem.decode(),
        other.public_pem.decode(),
    )


def test_signed_oci_gates_load_with_the_key_and_decisions_record_the_digest(
    oci, registry, gates_keys
):
    private, public, _ = gates_keys
    pinned = oci.sync.run(
        push_bundle(oci.sync.client, DEFAULT_GATES, registry.ref("platform/gates", "v1"), "v1")
    )
    oci.sync.run(sign_image(oci.sync.client, pinned, private))
    gates = Gates.load(f"oci::{registry.host}/platform/gates:v1", key=public)
    assert gates.digest == pinned.digest
    assert gates.pinned == f"oci::{registry.host}/platform/gates:v1@{pinned.digest}"
    ctx = release.ReleaseContext(
        {"metadata": {"name": "r", "namespace": NS}, "spec": {"releasePlan": "p"}},
        None,
        [],
        None,
        None,
        [],
    )
    validated = conditions(release.reconcile_release(ctx, gates=gates).patches[0].patch)
    assert validated["Validated"]["message"] == f"ReleasePlan p not found (gates {pinned.digest})"


def test_unsigned_or_wrongly_signed_oci_gates_are_refused(oci, registry, gates_keys):
    private, public, other = gates_keys
    oci.sync.run(
        push_bundle(oci.sync.client, DEFAULT_GATES, registry.ref("platform/unsigned", "v1"), "v1")
    )
    with pytest.raises(GatesError, match="not signed with the policy key"):
        Gates.load(f"oci::{registry.host}/platform/unsigned:v1", key=public)
    pinned = oci.sync.run(
        push_bundle(oci.sync.client, DEFAULT_GATES, registry.ref("platform/signed", "v1"), "v1")
    )
    oci.sync.run(sign_image(oci.sync.client, pinned, private))
    with pytest.raises(GatesError, match="not signed with the policy key"):
        Gates.load(f"oci::{registry.host}/platform/signed:v1", key=other)
    result = CliRunner().invoke(
        cli,
        [
            "controllers",
            "run",
            "--gates",
            f"oci::{registry.host}/platform/unsigned:v1",
            "--gates-key",
            public,
        ],
    )
    assert result.exit_code == 1 and "the controllers cannot start" in result.output


# --- names are data, not retyped --------------------------------------------------------------


def test_gates_and_admission_rules_do_not_retype_label_names():
    values = {
        v for v in names.as_data()["kube"]["names"].values() if isinstance(v, str) and "/" in v
    }
    for directory in ("gates", "admission"):
        for path in (ROOT / "rego" / directory).rglob("*.rego"):
            if path.name.endswith("_test.rego"):
                continue
            code = "\n".join(
                line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
            )
            retyped = sorted(v for v in values if f'"{v}"' in code)
            assert retyped == [], f"{path.relative_to(ROOT)} retypes {retyped}"


def test_gates_and_admission_rules_do_not_retype_value_sets():
    """The sets in kube/names.py (PASSING_TEST_RESULTS, PAC_PUSH_EVENTS, ...) reach Rego as
    data: no rule file spells all of a set's members on one line (a retyped set)."""
    sets = {
        name: value
        for name, value in names.as_data()["kube"]["names"].items()
        if isinstance(value, list) and len(value) > 1
    }
    assert "PASSING_TEST_RESULTS" in sets and "PAC_PUSH_EVENTS" in sets
    for directory in ("gates", "admission"):
        for path in (ROOT / "rego" / directory).rglob("*.rego"):
            if path.name.endswith("_test.rego"):
                continue
            for line in path.read_text().splitlines():
                if line.lstrip().startswith("#"):
                    continue
                retyped = [n for n, v in sets.items() if all(f'"{m}"' in line for m in v)]
                assert retyped == [], f"{path.relative_to(ROOT)} retypes {retyped}: {line}"


def test_every_gate_rule_is_annotated_and_tested():
    from konflux.engine.policy.files import load_paths
    from konflux.engine.rules import rules_of

    modules = [m for m in load_paths([DEFAULT_GATES]).modules if not m.path.endswith("_test.rego")]
    for module in modules:
        path = Path(module.path)
        assert path.with_name(path.stem + "_test.rego").is_file(), module.path
    rules = rules_of(modules)
    assert len(rules) == 13
    for code, rule in rules.items():
        assert code == f"{rule.package}.{rule.short_name}"
        assert rule.title and rule.description and rule.failure_msg, code


def test_the_wheel_carries_the_shipped_gates():
    """pyproject maps konflux.rego to rego/ with every .rego file, so DEFAULT_GATES
    (konflux/rego/gates beside konflux/controllers) exists in an installed wheel too."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"]["konflux.rego"] == "rego"
    assert "konflux.rego" in config["packages"]
    assert "**/*.rego" in config["package-data"]["konflux.rego"]
    assert DEFAULT_GATES == ROOT / "rego" / "gates"


def test_admission_status_reuses_the_plans_matches():
    """reconcile_matching asks the gates once per plan, not once per plan and admission."""
    gates = Gates.load()
    rpas = [
        {"metadata": {"name": n, "namespace": MANAGED}, "spec": {"origin": NS, "applications": [n]}}
        for n in ("a", "b", "c")
    ]
    plans = [
        {"metadata": {"name": n, "namespace": NS}, "spec": {"application": n, "target": MANAGED}}
        for n in ("a", "b", "c")
    ]
    matches = {(NS, p["metadata"]["name"]): release.match_admission(p, rpas, gates) for p in plans}
    before = gates.prepared.evaluated
    statuses = [
        release.reconcile_admission(rpa, plans, rpas, gates=gates, matches=matches)
        .patches[0]
        .patch["status"]["releasePlans"]
        for rpa in rpas
    ]
    assert gates.prepared.evaluated == before
    assert statuses == [[{"name": f"{NS}/{n}", "active": True}] for n in ("a", "b", "c")]
