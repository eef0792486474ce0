"""The pure reconcile rules of integration, release and build services, one behaviour each."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from konflux.controllers import build, integration, release
from konflux.controllers import constants as c
from konflux.controllers.errors import ConfigurationError
from konflux.controllers.gates import default_gates

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
                **({} if event == "push" else {"pipelinesascode.tekton.dev/pull-request": "7"}),
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
    """upstream: integration-service gitops/snapshot_test.go "ensures
    GenerateSnapshotNameWithTimestamp truncates long prefixes", "... handles suffix for
    collision avoidance", "... truncates prefix when suffix is provided"; integration-service
    internal/controller/buildpipeline/buildpipeline_adapter_test.go "ensures snapshot creation
    handles name collisions with retry and suffix"."""
    assert integration.snapshot_name("a" * 50, AT, []) == "a" * 43 + "-20260501-102030-456"
    taken = ["app-20260501-102030-456", "app-20260501-102030-456-01"]
    assert integration.snapshot_name("app", AT, taken) == "app-20260501-102030-456-02"
    long = integration.snapshot_name("a" * 50, AT, ["a" * 43 + "-20260501-102030-456"])
    assert len(long) == 63 and long.endswith("-01")


def test_image_without_tag_keeps_registry_port():
    """ours: upstream integration-service tekton/build_pipeline.go
    GetImagePullSpecFromPipelineRun takes the output image up to its first ":" (strings.Split),
    which would cut a registry port (reg:5000/ns/repo:tag -> reg); we drop only the tag, on
    purpose."""
    assert integration.image_without_tag("reg:5000/ns/repo:tag") == "reg:5000/ns/repo"
    assert integration.image_without_tag("reg:5000/ns/repo") == "reg:5000/ns/repo"


def test_signed_successful_build_makes_one_snapshot_of_the_application():
    """upstream: integration-service
    internal/controller/buildpipeline/buildpipeline_adapter_test.go "ensures the Imagepullspec
    and ComponentSource from pipelinerun and prepare snapshot can be created", "ensures
    pipelines as code labels and annotations are propagated to the snapshot", "can annotate the
    build pipelineRun with the Snapshot name", "Can annotate the build pipelineRun with the
    CreateSnapshot annotate"."""
    acts = integration.reconcile_build_run(run(), COMPONENTS, [])
    (create,) = acts.creates
    snap = create.body
    assert snap["metadata"]["name"] == "app-20260501-102030-456"
    assert [x["name"] for x in snap["spec"]["components"]] == ["api", "web"]
    assert snap["spec"]["components"][0]["containerImage"] == "reg:5000/t/api@" + D
    assert snap["metadata"]["annotations"][c.INVALID_COMPONENTS_ANNOTATION] == "bad"
    assert snap["metadata"]["annotations"]["pac.test.appstudio.openshift.io/sha"] == "abc"
    # gitops.BuildResultAnnotationKey: "IMAGE_DIGEST" -> ".../result-image-digest"
    assert snap["metadata"]["annotations"]["test.appstudio.openshift.io/result-image-digest"] == D
    patched = {(p.resource.kind, p.name) for p in acts.patches}
    assert patched == {("PipelineRun", "b1"), ("Component", "api")}
    (report,) = [p for p in acts.patches if p.resource.kind == "PipelineRun"]
    notes = report.patch["metadata"]["annotations"]
    assert notes[c.SNAPSHOT_ANNOTATION] == snap["metadata"]["name"]
    assert json.loads(notes[c.CREATE_SNAPSHOT_STATUS_ANNOTATION])["status"] == "success"


def report_of(acts):
    (patch,) = [p for p in acts.patches if p.resource.kind == "PipelineRun"]
    return json.loads(patch.patch["metadata"]["annotations"][c.CREATE_SNAPSHOT_STATUS_ANNOTATION])


def test_failed_unsigned_or_digestless_builds_create_no_snapshot():
    """buildpipeline_adapter.go EnsureSnapshotExists: an unsuccessful run makes nothing; a run
    without `chains.tekton.dev/signed` waits for Chains (presence is what upstream checks)."""
    assert not integration.reconcile_build_run(run(outcome="False"), COMPONENTS, [])
    unsigned = run()
    del unsigned["metadata"]["annotations"][c.CHAINS_SIGNED_ANNOTATION]
    assert not integration.reconcile_build_run(unsigned, COMPONENTS, [])
    acts = integration.reconcile_build_run(run(digest="latest"), COMPONENTS, [])
    assert not acts.creates and report_of(acts)["status"] == "failed"  # the run says why


def test_failed_signing_is_reported_and_makes_no_snapshot():
    """Chains marks a run it could not sign `chains.tekton.dev/signed: "failed"`: the annotation
    is present, so upstream would go on; here the run is marked failed-to-sign (its
    create-snapshot-status) and no Snapshot is made, so integration does not wait forever and
    nothing unsigned is tested or released."""
    acts = integration.reconcile_build_run(run(signed="failed"), COMPONENTS, [])
    assert not acts.creates
    report = report_of(acts)
    assert report["status"] == "failed" and "not signed by Tekton Chains" in report["message"]
    # reported once: the same report is not written again
    marked = run(signed="failed")
    marked["metadata"]["annotations"][c.CREATE_SNAPSHOT_STATUS_ANNOTATION] = json.dumps(
        report, sort_keys=True
    )
    assert not integration.reconcile_build_run(marked, COMPONENTS, [])


def test_failed_signing_report_carries_the_signers_reason():
    """ours: upstream checks only that `chains.tekton.dev/signed` is present (see
    test_failed_signing_is_reported_and_makes_no_snapshot); naming the signer's reason in the
    create-snapshot report is our addition."""
    failed = run(signed="failed")
    failed["metadata"]["annotations"][c.CHAINS_FAILURE_ANNOTATION] = "registry down"
    report = report_of(integration.reconcile_build_run(failed, COMPONENTS, []))
    assert report["message"].endswith("(the signer: registry down)")


def test_recorded_build_is_not_snapshotted_twice():
    """upstream: integration-service
    internal/controller/buildpipeline/buildpipeline_adapter_test.go "Snapshot already exists" /
    "ensures snapshot creation is skipped when snapshot already exists"."""
    first = integration.reconcile_build_run(run(), COMPONENTS, []).creates[0].body
    again = integration.reconcile_build_run(run(), COMPONENTS, [first])
    assert not again.creates


def test_pull_request_build_does_not_promote_the_component():
    """upstream: integration-service
    internal/controller/buildpipeline/buildpipeline_adapter_test.go "build pipelineRun succdeds
    and is signed" / "Ensure Global Candidate List can be updated ..." (the global candidate
    list is updated from push builds); a pull-request build leaves the Component alone."""
    acts = integration.reconcile_build_run(run(event="pull_request"), COMPONENTS, [])
    assert all(p.resource.kind != "Component" for p in acts.patches)


def snapshot(push=True, **labels):
    lab = {
        c.COMPONENT_LABEL: "api",
        c.SNAPSHOT_TYPE_LABEL: "component",
        "pac.test.appstudio.openshift.io/event-type": "push" if push else "pull_request",
        **({} if push else {"pac.test.appstudio.openshift.io/pull-request": "7"}),
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
    """upstream: integration-service gitops/snapshot_test.go "Filter integration tests for a
    given Snapshot based on their context" / "Returns only the scenarios matching the context
    for a given kind of Snapshot" (gitops/snapshot.go IsScenarioApplicableToSnapshotsContext)."""
    assert integration.scenario_applies(its("a"), snapshot())
    assert integration.scenario_applies(its("a", ["push"]), snapshot())
    assert not integration.scenario_applies(its("a", ["pull_request"]), snapshot())
    assert integration.scenario_applies(its("a", ["component_api"]), snapshot())
    assert not integration.scenario_applies(its("a", ["component_web"]), snapshot())
    assert integration.scenario_applies(its("a", ["all"]), snapshot())
    assert not integration.scenario_applies(its("a", ["group"]), snapshot())


def test_test_run_carries_snapshot_param_labels_and_owner():
    """upstream: integration-service tekton/integration_pipeline_test.go "can append labels that
    comes from Snapshot to IntegrationPipelineRun and make sure that label value matches the
    snapshot and component names", "can append the scenario Name, optional flag and Namespace to
    a IntegrationPipelineRun object ..."."""
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
    """upstream: integration-service internal/controller/snapshot/snapshot_adapter.go
    EnsureIntegrationPipelineRunsExist (one run per required scenario filtered by context,
    Snapshot marked in progress); integration-service
    internal/controller/snapshot/snapshot_adapter_test.go "creates Integration PLR for the new
    ITS and skips for the one that's already InProgress"."""
    acts = integration.reconcile_snapshot(
        snapshot(), [its("a"), its("b", ["pull_request"])], [], {}, [], []
    )
    assert [x.body["metadata"]["name"] for x in acts.creates] == ["s1-a"]
    assert conds(acts)["AppStudioIntegrationStatus"]["reason"] == "InProgress"


def test_test_output_decides_pass_or_fail():
    """upstream: integration-service helpers/integration_test.go "ensures multiple task
    pipelinerun outcome when AppStudio Tests succeeded", "... warned", "... failed" (TEST_OUTPUT
    result decides)."""
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
    """upstream: integration-service
    internal/controller/integrationpipeline/integrationpipeline_adapter_test.go "integration
    pipeline failed"."""
    acts = integration.reconcile_snapshot(
        snapshot(), [its("a")], [done("s1-a", "False")], {}, [], []
    )
    assert conds(acts)["AppStudioTestSucceeded"]["reason"] == "Failed"


def test_optional_scenarios_do_not_gate_and_none_required_passes():
    """upstream: integration-service internal/controller/snapshot/snapshot_adapter_test.go "Mark
    snapshot as pass when required ITS is not found" (message "No required
    IntegrationTestScenarios found, skipped testing")."""
    acts = integration.reconcile_snapshot(snapshot(), [its("o", optional=True)], [], {}, [], [])
    cond = conds(acts)["AppStudioTestSucceeded"]
    assert cond["reason"] == "Passed" and "No required" in cond["message"]


def plan(name="p", auto="true"):
    return {
        "metadata": meta(name, labels={c.AUTO_RELEASE_LABEL: auto}),
        "spec": {"application": "app", "target": "m"},
    }


def test_passing_push_snapshot_is_auto_released_once_per_plan():
    """upstream: integration-service internal/controller/snapshot/snapshot_adapter_test.go
    "ensures Release created successfully"; integration-service release/releaseplan_test.go
    "ensures the Release can be created for ReleasePlan and is labelled as automated";
    loader/loader_test.go "release plan without auto-release label is created"."""
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
    """upstream: integration-service gitops/snapshot.go CanSnapshotBePromoted ("the Snapshot was
    created for a PaC pull request event"); gitops/snapshot_test.go "ensures the a decision can
    be made to NOT promote the Snapshot based on its status"."""
    acts = integration.reconcile_snapshot(snapshot(push=False), [], [], {}, [plan()], [])
    assert not acts.creates


def test_rerun_label_starts_a_new_attempt():
    """upstream: integration-service internal/controller/snapshot/snapshot_adapter_test.go
    "EnsureRerunPipelineRunsExist" / "manual re-run of scenario using static env is trigerred";
    integration-service gitops/snapshot_test.go "RemoveIntegrationTestRerunLabel tests"."""
    snap = snapshot(**{c.RERUN_LABEL: "a"})
    acts = integration.reconcile_snapshot(
        snap, [its("a")], [done("s1-a")], {"s1-a": output("FAILURE")}, [], []
    )
    assert [x.body["metadata"]["name"] for x in acts.creates] == ["s1-a-r1"]
    assert acts.patches[0].patch["metadata"]["labels"] == {c.RERUN_LABEL: None}


def test_gc_keeps_released_kept_and_newest():
    """upstream: integration-service cmd/snapshotgc/snapshotgc_test.go "Test
    getSnapshotsForRemoval", "Test getSnapshotsForNSReleases", "Test
    filterSnapshotsWithKeepSnapshotAnnotation"."""
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
    """upstream: release-service loader/loader_test.go "calling GetMatchingReleasePlanAdmission"
    / "returns a release plan admission", "returns ReleasePlanAdmission from ReleasePlan label
    even when multiple matching RPAs exist"; release-service controllers/release/adapter_test.go
    validateProcessingResources "should return invalid and no error if multiple
    ReleasePlanAdmissions exist", "... if the ReleasePlanAdmission is found to be disabled"."""
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
    """upstream: release-service controllers/releaseplan/adapter_test.go and
    controllers/releaseplanadmission/adapter_test.go "When EnsureMatchingInformationIsSet is
    called". ours: the condition message naming the gates' digest."""
    p = release.reconcile_plan(plan(), [rpa()]).patches[0].patch["status"]
    assert p["releasePlanAdmission"] == {"name": "m/a", "active": True}
    a = release.reconcile_admission(rpa(), [plan()], [rpa()]).patches[0].patch["status"]
    assert a["releasePlans"] == [{"name": "t/p", "active": True}]
    # the gates decided both, and say which gates
    digest = default_gates().digest
    assert p["conditions"][0]["message"] == f"matched (gates {digest})"
    assert a["conditions"][0]["message"] == f"1 ReleasePlan(s) matched (gates {digest})"


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
    """upstream: release-service controllers/release/adapter_test.go EnsureReleaseIsValid
    "should mark the release as validated if all checks pass"; EnsureManagedPipelineIsProcessed
    "should create a RoleBinding if all the required resources are present and none exists in
    the Release Status"; EnsureReleaseExpirationTimeIsAdded; validateAuthor "properly sets the
    Attribution data in the release status"."""
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
    """upstream: release-service controllers/release/adapter_test.go EnsureReleaseIsValid
    "should mark the release as failed if a validation fails"; validateProcessingResources
    "should return invalid and no error if any of the resources are not found", "... if the
    ReleasePlanAdmission is found to be disabled"."""
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
    """upstream: release-service controllers/release/adapter_test.go validateAuthor "returns
    invalid and an error if the Release has the automated label and no author" (automated
    "false", message "no author found for manual release")."""
    c_ = ctx()
    c_.release["metadata"]["labels"] = {}
    assert "no author" in rconds(release.reconcile_release(c_, AT))["Validated"]["message"]


def test_managed_outcome_decides_released_with_retries():
    """Attempts are kept in status.managedPipelineAttempts (release-service's schema; the
    deprecated managedProcessing names the current one)."""
    name0 = release.managed_run_name(ctx().release, 0)
    failed = {
        "metadata": meta(name0, ns="m"),
        "status": {"conditions": [{"type": "Succeeded", "status": "False"}]},
    }
    retry = release.reconcile_release(ctx(runs=[failed]), AT)
    status = retry.patches[0].patch["status"]
    first, second = status["managedPipelineAttempts"]
    assert (first["pipelineRun"], first["status"]) == (f"m/{name0}", "Failed")
    name1 = release.managed_run_name(ctx().release, 1)
    assert (second["pipelineRun"], second["status"]) == (f"m/{name1}", "Progressing")
    assert status["managedProcessing"]["pipelineRun"] == f"m/{name1}"
    released = rconds(retry)["Released"]
    assert (released["status"], released["reason"]) == ("False", "Progressing")
    c_ = ctx(runs=[{**failed, "metadata": meta(name1, ns="m")}])
    c_.release["status"] = {"managedPipelineAttempts": status["managedPipelineAttempts"]}
    final = rconds(release.reconcile_release(c_, AT))
    assert (final["Released"]["status"], final["Released"]["reason"]) == ("False", "Failed")
    assert final["ManagedPipelineProcessed"]["reason"] == "Failed"


def test_tenant_pipeline_runs_first():
    """upstream: release-service controllers/release/adapter_test.go
    EnsureTenantPipelineIsProcessed "should create a pipelineRun and register the processing
    data if all the required resources are present"; EnsureManagedPipelineIsProcessed "should do
    nothing if the Release tenant pipeline processing has not yet completed"."""
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
    """upstream: build-service internal/controller/component_build_controller_test.go "should
    successfully submit PR with PaC definitions using GitHub application, without any request
    (defaults to pac provision)", "should create PaC PR with build pipeline service account".
    ours: the definitions land in a ConfigMap, not a pull request (docs/controllers.md)."""
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
    """upstream: build-service internal/controller/component_build_controller.go Reconcile:
    "Waiting for ContainerImage to be set" (no upstream test names it)."""
    comp = component()
    del comp["spec"]["containerImage"]
    assert not build.reconcile_component(build.BuildWorld(comp))


def test_unconfigure_removes_definitions_and_repository():
    """upstream: build-service internal/controller/component_build_controller_test.go "should
    successfully unconfigure PaC, removal MR not needed", "should successfully submit PR with
    PaC definitions removal using GitHub application upon unprovision"."""
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
    """image-controller imagerepository_controller.go: with the `appstudio.redhat.com/component`
    label and `image-controller.appstudio.redhat.com/update-component-image: "true"`, the
    Component's spec.containerImage is set and the annotation removed; without the annotation
    the Component is left alone."""
    labels = {c.IMAGE_REPOSITORY_COMPONENT_LABEL: "api"}
    repo = {
        "metadata": meta(
            "img", labels=labels, annotations={c.UPDATE_COMPONENT_IMAGE_ANNOTATION: "true"}
        ),
        "spec": {"image": {"visibility": "private"}},
    }
    comp = component()
    del comp["spec"]["containerImage"]
    acts = build.reconcile_image_repository(repo, [comp], "reg:5000")
    assert acts.patches[0].patch["status"]["image"] == {
        "url": "reg:5000/t/img",
        "visibility": "private",
    }
    assert acts.patches[1].patch == {"spec": {"containerImage": "reg:5000/t/img"}}
    assert acts.patches[2].patch == {
        "metadata": {"annotations": {c.UPDATE_COMPONENT_IMAGE_ANNOTATION: None}}
    }
    quiet = {"metadata": meta("img", labels=labels), "spec": {}}
    assert [
        p.resource.kind for p in build.reconcile_image_repository(quiet, [comp], "r").patches
    ] == ["ImageRepository"]


# --- upstream conventions, case by case -------------------------------------------------------


def test_push_or_pull_request_as_upstream():
    """gitops/snapshot.go IsSnapshotCreatedByPACPushEvent: not a push when the event type is not
    push *and* a pull-request label is there; merge-queue and group Snapshots are never pushes;
    a Snapshot without PaC labels (made by hand) is one."""
    pr = "pac.test.appstudio.openshift.io/pull-request"
    assert integration.is_push_snapshot(snapshot())
    assert not integration.is_push_snapshot(snapshot(push=False))
    retest = snapshot(**{"pac.test.appstudio.openshift.io/event-type": "retest-all-comment"})
    assert integration.is_push_snapshot(retest)  # a comment on a push commit
    retest["metadata"]["labels"][pr] = "7"
    assert not integration.is_push_snapshot(retest)  # a comment on a pull request
    manual = {"metadata": meta("m"), "spec": {"application": "app"}}
    assert integration.is_push_snapshot(manual)
    queue = snapshot()
    queue["metadata"]["annotations"]["pac.test.appstudio.openshift.io/source-branch"] = (
        "refs/heads/gh-readonly-queue/main/pr-7-abc"
    )
    assert not integration.is_push_snapshot(queue)
    assert not integration.is_push_snapshot(snapshot(**{c.SNAPSHOT_TYPE_LABEL: "group"}))
    gitlab = snapshot(**{"pac.test.appstudio.openshift.io/event-type": "Push", pr: "1"})
    assert integration.is_push_snapshot(gitlab)


def statuses_of(acts):
    for p in acts.patches:
        value = ((p.patch.get("metadata") or {}).get("annotations") or {}).get(
            c.TEST_STATUS_ANNOTATION
        )
        if value:
            return {e["scenario"]: e for e in json.loads(value)}
    return None


def test_status_annotation_has_upstream_fields_and_stable_times():
    """pkg/integrationteststatus: every entry has scenario, status and lastUpdateTime (the
    schema's required fields), startTime from InProgress, completionTime when final; times
    move only when the status or details change (UpdateTestStatusIfChanged).
    upstream: integration-service pkg/integrationteststatus/integration_test_status_test.go."""
    later = datetime(2026, 5, 1, 11, tzinfo=UTC)
    running = {
        **done("s1-a"),
        "status": {"conditions": [{"type": "Succeeded", "status": "Unknown"}]},
    }
    first = statuses_of(
        integration.reconcile_snapshot(
            snapshot(), [its("a"), its("o", optional=True)], [running], {}, [], [], AT
        )
    )
    entry = first["a"]
    assert entry["status"] == "InProgress" and entry["lastUpdateTime"] == "2026-05-01T10:20:30Z"
    assert entry["startTime"] == "2026-05-01T10:20:30Z" and "completionTime" not in entry
    assert entry["testPipelineRunName"] == "s1-a" and "isOptionalScenario" not in entry
    assert first["o"]["status"] == "Pending" and first["o"]["isOptionalScenario"] is True
    # the same state later writes nothing
    snap = snapshot()
    snap["metadata"]["annotations"][c.TEST_STATUS_ANNOTATION] = json.dumps(
        sorted(first.values(), key=lambda e: e["scenario"]), sort_keys=True
    )
    again = integration.reconcile_snapshot(
        snap, [its("a"), its("o", optional=True)], [running], {}, [], [], later
    )
    assert statuses_of(again) is None
    finished = statuses_of(
        integration.reconcile_snapshot(
            snap,
            [its("a"), its("o", optional=True)],
            [done("s1-a")],
            {"s1-a": output("SUCCESS")},
            [],
            [],
            later,
        )
    )["a"]
    assert finished["status"] == "TestPassed"
    assert finished["startTime"] == "2026-05-01T10:20:30Z"
    assert finished["completionTime"] == finished["lastUpdateTime"] == "2026-05-01T11:00:00Z"


def test_status_annotation_passes_upstream_schema():
    """The annotation validates against integration-service's integrationTestStatusesSchema."""
    from jsonschema import Draft202012Validator

    schema = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                k: {"type": "string"}
                for k in (
                    "scenario",
                    "status",
                    "lastUpdateTime",
                    "details",
                    "startTime",
                    "completionTime",
                    "testPipelineRunName",
                )
            }
            | {"runAfter": {"type": "array", "items": {"type": "string"}}},
            "required": ["scenario", "status", "lastUpdateTime"],
        },
    }
    acts = integration.reconcile_snapshot(
        snapshot(), [its("a"), its("b")], [done("s1-a")], {"s1-a": output("FAILURE")}, [], [], AT
    )
    Draft202012Validator(schema).validate(list(statuses_of(acts).values()))


def test_scenario_params_values_become_array_params():
    """tekton/integration_pipeline.go WithExtraParams: `value` a string param, `values` an array."""
    scenario = its("a")
    scenario["spec"]["params"] = [
        {"name": "ONE", "value": "x"},
        {"name": "LIST", "values": ["a", "b"]},
    ]
    params = {
        p["name"]: p["value"]
        for p in integration.test_pipelinerun(snapshot(), scenario, 0)["spec"]["params"]
    }
    assert params["ONE"] == "x" and params["LIST"] == ["a", "b"]


def test_should_release_false_holds_auto_release():
    """snapshot_adapter.go getShouldRelease / loader GetAutoReleasePlansForApplication: the build's
    SHOULD_RELEASE result "false" keeps label-based plans from releasing; AutoReleased says why."""
    snap = snapshot()
    snap["metadata"]["annotations"][c.SHOULD_RELEASE_ANNOTATION] = "false"
    acts = integration.reconcile_snapshot(snap, [], [], {}, [plan("p")], [], AT)
    assert not acts.creates
    assert "SHOULD_RELEASE" in conds(acts)["AutoReleased"]["message"]
    snap["metadata"]["annotations"][c.SHOULD_RELEASE_ANNOTATION] = "true"
    assert integration.reconcile_snapshot(snap, [], [], {}, [plan("p")], [], AT).creates


def test_build_should_release_result_lands_on_the_snapshot():
    """upstream: integration-service tekton/utils_test.go "GetShouldRelease" (the build's
    SHOULD_RELEASE result); gitops/release_test.go "shouldRelease() CEL function" / "returns
    false when shouldRelease is false"."""
    built = run()
    built["status"]["results"].append({"name": "SHOULD_RELEASE", "value": "false"})
    snap = integration.reconcile_build_run(built, COMPONENTS, []).creates[0].body
    assert snap["metadata"]["annotations"][c.SHOULD_RELEASE_ANNOTATION] == "false"
    assert not integration.should_release(snap)


def test_auto_release_cel_annotation():
    """gitops/release.go EvaluateSnapshotAutoReleaseAnnotation: a plan's auto-release
    annotation is a CEL expression over `snapshot`, `now`, updatedComponentIs() and
    shouldRelease(); it decides instead of the label."""
    p = plan("p", auto="false")
    p["metadata"]["annotations"][c.AUTO_RELEASE_LABEL] = 'updatedComponentIs("api")'
    assert [x["metadata"]["name"] for x in integration.auto_release_plans(snapshot(), [p], AT)] == [
        "p"
    ]
    p["metadata"]["annotations"][c.AUTO_RELEASE_LABEL] = (
        'updatedComponentIs("web") || (shouldRelease() && snapshot.metadata.name == "s1")'
    )
    assert integration.auto_release_plans(snapshot(), [p], AT)
    held = snapshot()
    held["metadata"]["annotations"][c.SHOULD_RELEASE_ANNOTATION] = "false"
    assert not integration.auto_release_plans(held, [p], AT)
    p["metadata"]["annotations"][c.AUTO_RELEASE_LABEL] = "snapshot.metadata.name"
    with pytest.raises(ConfigurationError, match="did not evaluate to a boolean"):
        integration.auto_release_plans(snapshot(), [p], AT)
    p["metadata"]["annotations"][c.AUTO_RELEASE_LABEL] = "nope("
    with pytest.raises(ConfigurationError, match="cannot be evaluated"):
        integration.auto_release_plans(snapshot(), [p], AT)


def test_snapshot_auto_release_label_false_and_merge_queue_not_released():
    """CanSnapshotBePromoted: the Snapshot's own auto-release label "false" and merge-queue
    Snapshots are not promoted.
    upstream: integration-service gitops/snapshot_test.go "does not promote the Snapshot when
    auto-release label is false even if otherwise eligible", "can determine if the snapshot
    originated from a merge queue event"."""
    off = snapshot(**{c.AUTO_RELEASE_LABEL: "false"})
    assert not integration.reconcile_snapshot(off, [], [], {}, [plan()], [], AT).creates
    queue = snapshot()
    queue["metadata"]["annotations"]["pac.test.appstudio.openshift.io/source-branch"] = (
        "gh-readonly-queue/main/pr-1"
    )
    assert not integration.reconcile_snapshot(queue, [], [], {}, [plan()], [], AT).creates


# --- the ComponentGroup model -----------------------------------------------------------------


def group(name="cg", gcl=()):
    return {
        "apiVersion": "appstudio.redhat.com/v1beta2",
        "kind": "ComponentGroup",
        "metadata": meta(name, uid=f"uid-{name}"),
        "spec": {
            "components": [
                {"name": "api", "componentVersion": {"name": "main"}},
                {"name": "web", "componentVersion": {"name": "v1"}},
                {"name": "child", "kind": "componentGroup"},
            ]
        },
        "status": {"globalCandidateList": list(gcl)},
    }


def versioned_run(version="main", **kw):
    r = run(**kw)
    r["metadata"]["annotations"][c.COMPONENT_VERSION_ANNOTATION] = version
    return r


WEB_CANDIDATE = {
    "name": "web",
    "version": "v1",
    "url": "https://g/web",
    "lastPromotedImage": "reg/web@" + D,
    "lastPromotedCommit": "def",
}


def test_component_group_build_makes_a_snapshot_per_group():
    """buildpipeline_adapter.go EnsureSnapshotExists with loader
    GetComponentGroupsForComponentVersion and snapshot/create.go: one Snapshot per
    ComponentGroup listing the component at the built version, from the group's global
    candidate list with the new build in; pushes update the candidate list."""
    groups = [group("cg", [WEB_CANDIDATE]), group("other")]
    groups[1]["spec"]["components"] = [{"name": "api", "componentVersion": {"name": "v2"}}]
    acts = integration.reconcile_build_run(versioned_run(), COMPONENTS, [], AT, groups)
    (create,) = acts.creates
    snap = create.body
    assert snap["spec"]["componentGroup"] == "cg" and "application" not in snap["spec"]
    assert snap["metadata"]["name"].startswith("cg-20260501-")
    assert snap["metadata"]["labels"][c.COMPONENT_GROUP_LABEL] == "cg"
    assert snap["metadata"]["ownerReferences"][0]["kind"] == "ComponentGroup"
    assert [(x["name"], x["version"]) for x in snap["spec"]["components"]] == [
        ("api", "main"),
        ("web", "v1"),
    ]
    gcl = next(p for p in acts.patches if p.resource.kind == "ComponentGroup")
    (cand_api, cand_web) = gcl.patch["status"]["globalCandidateList"]
    assert cand_api["lastPromotedImage"] == "reg:5000/t/api@" + D and cand_web == WEB_CANDIDATE
    notes = next(p for p in acts.patches if p.resource.kind == "PipelineRun").patch
    assert notes["metadata"]["annotations"][c.SNAPSHOTS_ANNOTATION] == snap["metadata"]["name"]
    # recorded: not made twice
    again = integration.reconcile_build_run(versioned_run(), COMPONENTS, [snap], AT, groups)
    assert not again.creates


def test_component_group_build_without_group_is_reported():
    """upstream: integration-service
    internal/controller/buildpipeline/buildpipeline_adapter_test.go
    "filterPipelineRunsForComponentGroups is called" / "keeps PipelineRuns whose component label
    matches a component listed in some ComponentGroup, and skips others". ours: the
    create-snapshot report saying no ComponentGroup lists the component."""
    acts = integration.reconcile_build_run(versioned_run("nope"), COMPONENTS, [], AT, [group()])
    assert not acts.creates and "no ComponentGroup" in report_of(acts)["message"]


def test_component_group_scenarios_and_plans():
    """ITS and ReleasePlans of a ComponentGroup apply to its Snapshots, not an Application's.
    upstream: integration-service loader/loader_test.go "can fetch required
    integrationTestScenario for snapshot (ComponentGroup model)", "ensures the ReleasePlan can
    be gotten for ComponentGroup"; loader/loader_mock_test.go "When calling
    GetAutoReleasePlansForComponentGroup"."""
    snap = {
        "metadata": meta(
            "s2", labels={c.COMPONENT_LABEL: "api", c.SNAPSHOT_TYPE_LABEL: "component"}, uid="u2"
        ),
        "spec": {"componentGroup": "cg", "components": []},
    }
    mine = {
        "metadata": meta("t"),
        "spec": {"componentGroup": "cg", "resolverRef": {"resolver": "git", "params": []}},
    }
    assert integration.scenario_applies(mine, snap)
    assert not integration.scenario_applies(its("a"), snap)
    run_ = integration.test_pipelinerun(snap, mine, 0)
    assert run_["metadata"]["labels"][c.COMPONENT_GROUP_LABEL] == "cg"
    # Names are unique in a namespace: the group's plan is not the Application's "p".
    cg_plan = {"metadata": meta("cgp"), "spec": {"componentGroup": "cg", "target": "m"}}
    acts = integration.reconcile_snapshot(snap, [], [], {}, [plan(), cg_plan], [], AT)
    assert [x.body["spec"]["releasePlan"] for x in acts.creates] == ["cgp"]


def test_release_plans_and_admissions_on_component_groups():
    """ReleasePlanAdmission.MatchesReleasePlan: the plan's group name in applications or
    componentGroups.
    upstream: release-service api/v1alpha1/releaseplanadmission_types_test.go
    "MatchesReleasePlan method is called" / "should return true when RP ComponentGroup is in RPA
    ComponentGroups", "... RP ComponentGroup is in RPA Applications (backward compatible)",
    "should return false when RP ComponentGroup is not in any RPA list"."""
    cg_plan = {"metadata": meta("p"), "spec": {"componentGroup": "cg", "target": "m"}}
    admission = rpa()
    admission["spec"] = {**admission["spec"], "componentGroups": ["cg"]}
    del admission["spec"]["applications"]
    assert release.match_admission(cg_plan, [admission]).admission is admission
    assert release.match_admission(plan(), [admission]).admission is None
    snap = {"metadata": meta("s1"), "spec": {"componentGroup": "cg"}}
    p = {**cg_plan, "metadata": meta("p", labels={c.AUTHOR_LABEL: "alice"})}
    assert (
        rconds(release.reconcile_release(ctx(plan=p, admissions=[admission], snapshot=snap), AT))[
            "Validated"
        ]["status"]
        == "True"
    )
    mixed = rconds(release.reconcile_release(ctx(plan=p, admissions=[admission]), AT))
    assert "belongs to app" in mixed["Validated"]["message"]


# --- release-service PipelineRuns ----------------------------------------------------------------


def test_managed_run_as_release_service_makes_it():
    """controllers/release/adapter.go createManagedPipelineRun + tekton/utils PipelineRunBuilder,
    and release-service-catalog's managed pipelines (params release, releasePlan,
    releasePlanAdmission, releaseServiceConfig, snapshot, enterpriseContractPolicy,
    verify_ec_task_bundle; workspace release-workspace)."""
    defaults = {"data": {"verify_ec_task_bundle": "quay.io/ec/task@sha256:1"}}
    admission = rpa()
    admission["spec"]["pipeline"]["pipelineRef"]["ociStorage"] = "quay.io/o/trusted"
    acts = release.reconcile_release(ctx(ec_defaults=defaults, admissions=[admission]), AT)
    run_ = next(x.body for x in acts.creates if x.body["kind"] == "PipelineRun")
    labels = run_["metadata"]["labels"]
    assert labels[c.PIPELINE_TYPE_LABEL] == "managed"
    assert labels["appstudio.openshift.io/service"] == "release"
    assert labels["appstudio.openshift.io/application"] == "app"
    assert labels["release.appstudio.openshift.io/attempt"] == "0"
    assert labels["release.appstudio.openshift.io/name"] == "r1"
    assert labels["release.appstudio.openshift.io/namespace"] == "t"
    assert labels["appstudio.openshift.io/snapshot"] == "s1"
    assert run_["metadata"]["finalizers"] == ["appstudio.redhat.com/release-finalizer"]
    names = [p["name"] for p in run_["spec"]["params"]]
    assert names == [
        "release",
        "releasePlan",
        "releasePlanAdmission",
        "releaseServiceConfig",
        "snapshot",
        "enterpriseContractPolicy",
        "verify_ec_task_bundle",
        "ociStorage",
    ]
    params = {p["name"]: p["value"] for p in run_["spec"]["params"]}
    assert params["releaseServiceConfig"] == "release-service/release-service-config"
    assert params["verify_ec_task_bundle"] == "quay.io/ec/task@sha256:1"
    (workspace,) = run_["spec"]["workspaces"]
    assert workspace["name"] == "release-workspace" and "volumeClaimTemplate" in workspace
    assert "ociStorage" not in run_["spec"]["pipelineRef"]  # not a Tekton field
    assert run_["spec"]["taskRunTemplate"] == {"serviceAccountName": "sa"}


def test_released_progressing_while_running_and_finalizers_released_after():
    """release_types.go: IsReleasing is Released=False/Progressing; a finished Release lets go
    of the finalizers on its PipelineRuns."""
    acts = release.reconcile_release(ctx(), AT)
    cond = rconds(acts)["Released"]
    assert (cond["status"], cond["reason"]) == ("False", "Progressing")
    in_flight = ctx()
    in_flight.release["status"] = {"conditions": [cond]}
    assert not release.is_finished(in_flight.release)
    name0 = release.managed_run_name(ctx().release, 0)
    succeeded = {
        "metadata": meta(name0, ns="m", finalizers=[c.RELEASE_FINALIZER, "other"]),
        "status": {"conditions": [{"type": "Succeeded", "status": "True"}]},
    }
    done_ = release.reconcile_release(ctx(runs=[succeeded]), AT)
    assert rconds(done_)["Released"]["status"] == "True"
    finished = ctx(runs=[succeeded])
    finished.release["status"] = {"conditions": [rconds(done_)["Released"]]}
    assert release.is_finished(finished.release)
    (cleanup,) = release.reconcile_release(finished, AT).patches
    assert cleanup.patch == {"metadata": {"finalizers": ["other"]}}


def test_tenant_and_final_runs_as_release_service_makes_them():
    """upstream: release-service controllers/release/adapter_test.go
    EnsureTenantPipelineIsProcessed "should create a pipelineRun and register the processing
    data if all the required resources are present", "EnsureFinalPipelineIsProcessed is called"."""
    p = ctx().plan
    ref = {
        "pipelineRef": {"resolver": "git", "params": []},
        "params": [{"name": "x", "value": "1"}],
    }
    p["spec"]["tenantPipeline"] = ref
    p["spec"]["finalPipeline"] = ref
    tenant = release.reconcile_release(ctx(plan=p), AT).creates[0].body
    assert tenant["metadata"]["labels"][c.PIPELINE_TYPE_LABEL] == "tenant"
    assert [q["name"] for q in tenant["spec"]["params"]] == [
        "release",
        "releasePlan",
        "snapshot",
        "x",
    ]
    ok = {"status": {"conditions": [{"type": "Succeeded", "status": "True"}]}}
    runs = [
        {**ok, "metadata": meta(release.tenant_run_name(ctx().release))},
        {**ok, "metadata": meta(release.managed_run_name(ctx().release, 0), ns="m")},
    ]
    acts = release.reconcile_release(ctx(plan=p, runs=runs), AT)
    final = [x.body for x in acts.creates if x.body["kind"] == "PipelineRun"]
    assert [f["metadata"]["labels"][c.PIPELINE_TYPE_LABEL] for f in final] == ["final"]
    assert rconds(acts)["FinalPipelineProcessed"]["reason"] == "Progressing"
    assert rconds(acts)["Released"]["reason"] == "Progressing"


def test_release_grace_period_from_spec():
    """release-service sets expirationTime from spec.gracePeriodDays (the webhook copies it from
    the ReleasePlan)."""
    c_ = ctx()
    c_.release["spec"]["gracePeriodDays"] = 2
    status = release.reconcile_release(c_, AT).patches[0].patch["status"]
    assert status["expirationTime"] == "2026-05-03T00:00:00Z"
