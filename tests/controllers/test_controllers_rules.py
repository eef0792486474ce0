"""The pure reconcile rules of integration, release and build services, one behaviour each."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from konflux.controllers import build, integration, release
from konflux.controllers import constants as c

AT = datetime(2026, 5, 1, 10, 20, 30, 456000, tzinfo=UTC)
D = "sha256:" + "1" * 64


def meta(name, ns="t", labels=None, annotations=None, **extra):
    return {
        "name": name,
        "namespace": ns,
        "labels": labels or {},
        "annotations": annotations or {},
        **extra,
    }


def run(name="b1", outcome="True", signed="true", event="push", digest=D):
    return {
        "metadata": meta(
            name,
            labels={
                c.PIPELINE_TYPE_LABEL: "build",
                c.COMPONENT_LABEL: "api",
                c.APPLICATION_LABEL: "app",
                c.PAC_EVENT_TYPE_LABEL: event,
            },
            annotations={
                c.CHAINS_SIGNED_ANNOTATION: signed,
                "pipelinesascode.tekton.dev/sha": "abc",
            },
        ),
        "status": {
            "startTime": "2026-05-01T10:20:30.456Z",
            "conditions": [{"type": "Succeeded", "status": outcome}],
            "results": [
                {"name": "IMAGE_URL", "value": "reg:5000/t/api:v1"},
                {"name": "IMAGE_DIGEST", "value": digest},
                {"name": "CHAINS-GIT_URL", "value": "https://g/api"},
                {"name": "CHAINS-GIT_COMMIT", "value": "abc"},
            ],
        },
    }


COMPONENTS = [
    {"metadata": meta("api"), "spec": {"application": "app"}},
    {
        "metadata": meta("web"),
        "spec": {"application": "app"},
        "status": {"lastPromotedImage": "reg/web@" + D},
    },
    {
        "metadata": meta("bad"),
        "spec": {"application": "app"},
        "status": {"lastPromotedImage": "reg/bad:latest"},
    },
    {"metadata": meta("x"), "spec": {"application": "other"}},
]


def test_snapshot_name_uses_start_time_and_suffixes_on_collision():
    assert integration.snapshot_name("a" * 50, AT, []) == "a" * 43 + "-20260501-102030-456"
    taken = ["app-20260501-102030-456", "app-20260501-102030-456-01"]
    assert integration.snapshot_name("app", AT, taken) == "app-20260501-102030-456-02"
    long = integration.snapshot_name("a" * 50, AT, ["a" * 43 + "-20260501-102030-456"])
    assert len(long) == 63 and long.endswith("-01")


def test_image_without_tag_keeps_registry_port():
    assert integration.image_without_tag("reg:5000/ns/repo:tag") == "reg:5000/ns/repo"
    assert integration.image_without_tag("reg:5000/ns/repo") == "reg:5000/ns/repo"


def test_signed_successful_build_makes_one_snapshot_of_the_application():
    acts = integration.reconcile_build_run(run(), COMPONENTS, [])
    (create,) = acts.creates
    snap = create.body
    assert snap["metadata"]["name"] == "app-20260501-102030-456"
    assert [x["name"] for x in snap["spec"]["components"]] == ["api", "web"]
    assert snap["spec"]["components"][0]["containerImage"] == "reg:5000/t/api@" + D
    assert snap["metadata"]["annotations"][c.INVALID_COMPONENTS_ANNOTATION] == "bad"
    assert snap["metadata"]["annotations"]["pac.test.appstudio.openshift.io/sha"] == "abc"
    assert snap["metadata"]["annotations"][c.RESULT_ANNOTATION_PREFIX + "image_digest"] == D
    patched = {(p.resource.kind, p.name) for p in acts.patches}
    assert patched == {("PipelineRun", "b1"), ("Component", "api")}


def test_failed_unsigned_or_digestless_builds_create_no_snapshot():
    assert not integration.reconcile_build_run(run(outcome="False"), COMPONENTS, [])
    assert not integration.reconcile_build_run(run(signed="false"), COMPONENTS, [])
    acts = integration.reconcile_build_run(run(digest="latest"), COMPONENTS, [])
    assert not acts.creates and acts.patches  # the run is annotated with why


def test_recorded_build_is_not_snapshotted_twice():
    first = integration.reconcile_build_run(run(), COMPONENTS, []).creates[0].body
    again = integration.reconcile_build_run(run(), COMPONENTS, [first])
    assert not again.creates


def test_pull_request_build_does_not_promote_the_component():
    acts = integration.reconcile_build_run(run(event="pull_request"), COMPONENTS, [])
    assert all(p.resource.kind != "Component" for p in acts.patches)


def snapshot(push=True, **labels):
    lab = {
        c.COMPONENT_LABEL: "api",
        c.SNAPSHOT_TYPE_LABEL: "component",
        "pac.test.appstudio.openshift.io/event-type": "push" if push else "pull_request",
        **labels,
    }
    return {
        "metadata": meta("s1", labels=lab, uid="u1"),
        "spec": {"application": "app", "components": []},
    }


def its(name, contexts=None, optional=False):
    return {
        "metadata": meta(name, labels={c.OPTIONAL_LABEL: "true"} if optional else {}),
        "spec": {
            "application": "app",
            "contexts": [{"name": x} for x in contexts or []],
            "resolverRef": {"resolver": "bundles", "params": []},
        },
    }


def test_contexts_filter_scenarios():
    assert integration.scenario_applies(its("a"), snapshot())
    assert integration.scenario_applies(its("a", ["push"]), snapshot())
    assert not integration.scenario_applies(its("a", ["pull_request"]), snapshot())
    assert integration.scenario_applies(its("a", ["component_api"]), snapshot())
    assert not integration.scenario_applies(its("a", ["component_web"]), snapshot())
    assert integration.scenario_applies(its("a", ["all"]), snapshot())
    assert not integration.scenario_applies(its("a", ["group"]), snapshot())


def test_test_run_carries_snapshot_param_labels_and_owner():
    body = integration.test_pipelinerun(snapshot(), its("a"), 0)
    assert body["spec"]["params"][0] == {
        "name": "SNAPSHOT",
        "value": json.dumps(snapshot()["spec"], sort_keys=True),
    }
    assert body["spec"]["pipelineRef"]["resolver"] == "bundles"
    assert body["metadata"]["labels"][c.SCENARIO_LABEL] == "a"
    assert body["metadata"]["ownerReferences"][0]["uid"] == "u1"


def done(name, status="True"):
    return {
        "metadata": meta(name),
        "status": {"conditions": [{"type": "Succeeded", "status": status}]},
    }


def output(result):
    return [
        {"status": {"results": [{"name": "TEST_OUTPUT", "value": json.dumps({"result": result})}]}}
    ]


def conds(actions):
    out = {}
    for p in actions.patches:
        for x in (p.patch.get("status") or {}).get("conditions", []):
            out[x["type"]] = x
    return out


def test_snapshot_creates_one_run_per_applicable_scenario_and_is_in_progress():
    acts = integration.reconcile_snapshot(
        snapshot(), [its("a"), its("b", ["pull_request"])], [], {}, [], []
    )
    assert [x.body["metadata"]["name"] for x in acts.creates] == ["s1-a"]
    assert conds(acts)["AppStudioIntegrationStatus"]["reason"] == "InProgress"


def test_test_output_decides_pass_or_fail():
    for result, expected in [
        ("SUCCESS", "Passed"),
        ("WARNING", "Passed"),
        ("SKIPPED", "Passed"),
        ("FAILURE", "Failed"),
        ("ERROR", "Failed"),
    ]:
        acts = integration.reconcile_snapshot(
            snapshot(), [its("a")], [done("s1-a")], {"s1-a": output(result)}, [], []
        )
        assert conds(acts)["AppStudioTestSucceeded"]["reason"] == expected, result


def test_failed_pipelinerun_fails_the_scenario():
    acts = integration.reconcile_snapshot(
        snapshot(), [its("a")], [done("s1-a", "False")], {}, [], []
    )
    assert conds(acts)["AppStudioTestSucceeded"]["reason"] == "Failed"


def test_optional_scenarios_do_not_gate_and_none_required_passes():
    acts = integration.reconcile_snapshot(snapshot(), [its("o", optional=True)], [], {}, [], [])
    cond = conds(acts)["AppStudioTestSucceeded"]
    assert cond["reason"] == "Passed" and "No required" in cond["message"]


def plan(name="p", auto="true"):
    return {
        "metadata": meta(name, labels={c.AUTO_RELEASE_LABEL: auto}),
        "spec": {"application": "app", "target": "m"},
    }


def test_passing_push_snapshot_is_auto_released_once_per_plan():
    acts = integration.reconcile_snapshot(
        snapshot(), [], [], {}, [plan("p"), plan("q", "false")], []
    )
    (rel,) = acts.creates
    assert rel.body["metadata"]["generateName"] == "s1-"
    assert rel.body["metadata"]["labels"][c.AUTOMATED_LABEL] == "true"
    assert conds(acts)["AutoReleased"]["status"] == "True"
    again = integration.reconcile_snapshot(snapshot(), [], [], {}, [plan("p")], [rel.body])
    assert not again.creates


def test_pull_request_snapshot_is_not_auto_released():
    acts = integration.reconcile_snapshot(snapshot(push=False), [], [], {}, [plan()], [])
    assert not acts.creates


def test_rerun_label_starts_a_new_attempt():
    snap = snapshot(**{c.RERUN_LABEL: "a"})
    acts = integration.reconcile_snapshot(
        snap, [its("a")], [done("s1-a")], {"s1-a": output("FAILURE")}, [], []
    )
    assert [x.body["metadata"]["name"] for x in acts.creates] == ["s1-a-r1"]
    assert acts.patches[0].patch["metadata"]["labels"] == {c.RERUN_LABEL: None}


def test_gc_keeps_released_kept_and_newest():
    snaps = [
        {
            "metadata": meta(
                f"s{i}",
                labels={c.COMPONENT_LABEL: "api"},
                creationTimestamp=f"2026-01-{i + 1:02d}T00:00:00Z",
                annotations={c.KEEP_SNAPSHOT_ANNOTATION: "true"} if i == 1 else {},
            )
        }
        for i in range(6)
    ]
    rels = [{"metadata": meta("r"), "spec": {"snapshot": "s0"}}]
    policy = integration.RetentionPolicy(push=2, pull_request=2, per_component=1)
    assert integration.snapshots_to_delete(snaps, rels, policy) == [("t", "s2"), ("t", "s3")]


# --- release-service ---------------------------------------------------------------------------


def rpa(name="a", origin="t", apps=("app",), blocked=False, ns="m"):
    return {
        "metadata": meta(name, ns=ns, labels={c.BLOCK_RELEASES_LABEL: "true"} if blocked else {}),
        "spec": {
            "origin": origin,
            "applications": list(apps),
            "policy": "ecp",
            "pipeline": {
                "pipelineRef": {"resolver": "git", "params": []},
                "serviceAccountName": "sa",
                "maxRetries": 1,
            },
        },
    }


def test_plan_matches_exactly_one_admission():
    assert release.match_admission(plan(), [rpa()]).admission["metadata"]["name"] == "a"
    assert release.match_admission(plan(), [rpa(origin="x")]).admission is None
    several = release.match_admission(plan(), [rpa("a"), rpa("b")])
    assert several.admission is None and "several" in several.reason
    pinned = plan()
    pinned["metadata"]["labels"][c.PINNED_RPA_LABEL] = "b"
    assert (
        release.match_admission(pinned, [rpa("a"), rpa("b")]).admission["metadata"]["name"] == "b"
    )
    assert not release.match_admission(plan(), [rpa(blocked=True)]).active


def test_matching_status_on_both_sides():
    p = release.reconcile_plan(plan(), [rpa()]).patches[0].patch["status"]
    assert p["releasePlanAdmission"] == {"name": "m/a", "active": True}
    a = release.reconcile_admission(rpa(), [plan()], [rpa()]).patches[0].patch["status"]
    assert a["releasePlans"] == [{"name": "t/p", "active": True}]


def ctx(**over):
    p = plan()
    p["metadata"]["labels"][c.AUTHOR_LABEL] = "alice"
    values = dict(
        release={
            "metadata": meta(
                "r1", labels={c.AUTOMATED_LABEL: "true"}, creationTimestamp="2026-05-01T00:00:00Z"
            ),
            "spec": {"snapshot": "s1", "releasePlan": "p"},
        },
        plan=p,
        admissions=[rpa()],
        policy={"metadata": meta("ecp", ns="m"), "spec": {"sources": []}},
        snapshot=snapshot(),
        runs=[],
    )
    values.update(over)
    return release.ReleaseContext(**values)


def rconds(actions):
    return conds(actions)


def test_valid_release_creates_managed_run_and_rolebinding():
    acts = release.reconcile_release(ctx(), AT)
    kinds = sorted(x.body["kind"] for x in acts.creates)
    assert kinds == ["PipelineRun", "RoleBinding"]
    run_ = next(x.body for x in acts.creates if x.body["kind"] == "PipelineRun")
    params = {p["name"]: p["value"] for p in run_["spec"]["params"]}
    assert params["snapshot"] == "t/s1" and params["releasePlanAdmission"] == "m/a"
    assert json.loads(params["enterpriseContractPolicy"]) == {"sources": []}
    assert run_["metadata"]["namespace"] == "m"
    status = acts.patches[0].patch["status"]
    assert status["expirationTime"] == "2026-05-08T00:00:00Z"
    assert status["attribution"] == {"author": "alice", "standingAuthorization": True}
    assert rconds(acts)["Validated"]["status"] == "True"


def test_validation_failures_are_named():
    cases = {
        "ReleasePlan p not found": ctx(plan=None),
        "EnterpriseContractPolicy ecp not found": ctx(policy=None),
        "Snapshot s1 not found": ctx(snapshot=None),
        "blocks releases": ctx(admissions=[rpa(blocked=True)]),
    }
    for message, case in cases.items():
        cond = rconds(release.reconcile_release(case, AT))
        assert cond["Validated"]["status"] == "False"
        assert message in cond["Validated"]["message"], message
        assert cond["Released"]["status"] == "False"


def test_manual_release_needs_an_author():
    c_ = ctx()
    c_.release["metadata"]["labels"] = {}
    assert "no author" in rconds(release.reconcile_release(c_, AT))["Validated"]["message"]


def test_managed_outcome_decides_released_with_retries():
    name0 = release.managed_run_name(ctx().release, 0)
    failed = {
        "metadata": meta(name0, ns="m"),
        "status": {"conditions": [{"type": "Succeeded", "status": "False"}]},
    }
    retry = release.reconcile_release(ctx(runs=[failed]), AT)
    assert retry.patches[0].patch["status"]["managedProcessing"]["attempt"] == 1
    assert "Released" not in {k for k, v in rconds(retry).items() if v["status"] == "False"}
    c_ = ctx(
        runs=[{**failed, "metadata": meta(release.managed_run_name(ctx().release, 1), ns="m")}]
    )
    c_.release["status"] = {"managedProcessing": {"attempt": 1}}
    final = rconds(release.reconcile_release(c_, AT))
    assert final["Released"]["status"] == "False"
    assert final["ManagedPipelineProcessed"]["reason"] == "Failed"


def test_tenant_pipeline_runs_first():
    p = ctx().plan
    p["spec"]["tenantPipeline"] = {"pipelineRef": {"resolver": "git", "params": []}}
    acts = release.reconcile_release(ctx(plan=p), AT)
    assert [x.body["metadata"]["namespace"] for x in acts.creates] == ["t"]
    assert rconds(acts)["TenantPipelineProcessed"]["reason"] == "Progressing"


# --- build-service -----------------------------------------------------------------------------


def component(**annotations):
    return {
        "metadata": meta("api", annotations=annotations, uid="c1"),
        "spec": {
            "application": "app",
            "containerImage": "reg/t/api",
            "source": {"git": {"url": "https://g/org/api.git"}},
        },
    }


def test_new_component_is_onboarded_to_pac():
    acts = build.reconcile_component(build.BuildWorld(component()))
    kinds = sorted(x.body["kind"] for x in acts.creates)
    assert kinds == ["ConfigMap", "Repository", "ServiceAccount"]
    files = next(x.body for x in acts.creates if x.body["kind"] == "ConfigMap")["data"]
    import yaml

    push = yaml.safe_load(files["api-push.yaml"])
    assert (
        push["metadata"]["annotations"][c.PAC_ON_CEL_ANNOTATION]
        == 'event == "push" && target_branch == "main"'
    )
    assert {p["name"] for p in push["spec"]["params"]} == {
        "git-url",
        "revision",
        "output-image",
        "dockerfile",
        "path-context",
    }
    status = json.loads(acts.patches[0].patch["metadata"]["annotations"][c.BUILD_STATUS_ANNOTATION])
    assert status["pac"]["state"] == "enabled"


def test_component_without_image_waits():
    comp = component()
    del comp["spec"]["containerImage"]
    assert not build.reconcile_component(build.BuildWorld(comp))


def test_unconfigure_removes_definitions_and_repository():
    world = build.BuildWorld(
        component(**{c.BUILD_REQUEST_ANNOTATION: "unconfigure-pac"}),
        service_account={},
        definitions={"data": {}},
        repository={"metadata": meta("org-api")},
    )
    acts = build.reconcile_component(world)
    assert [(r.kind, n) for r, _, n in acts.deletes] == [
        ("ConfigMap", "api-pac-definitions"),
        ("Repository", "org-api"),
    ]


def test_image_repository_sets_component_image():
    repo = {"metadata": meta("img", labels={c.COMPONENT_LABEL: "api"}), "spec": {}}
    comp = component()
    del comp["spec"]["containerImage"]
    acts = build.reconcile_image_repository(repo, [comp], "reg:5000")
    assert acts.patches[0].patch["status"]["image"]["url"] == "reg:5000/t/img"
    assert acts.patches[1].patch == {"spec": {"containerImage": "reg:5000/t/img"}}
