"""The three operators end to end against the emulated API server (kmock), Tekton simulated
by patching PipelineRun status, including a controller restart in the middle of the flow."""

from __future__ import annotations

import asyncio
import json

import pytest
from cluster_support import schema_checked_clusters  # noqa: F401 - fixture

from konflux.controllers import constants as c
from konflux.controllers.operators import OperatorConfig
from konflux.testing import LocalCluster, build_run, finish_run, seed_tenant
from konflux.testing import resource_object as obj
from konflux.testing import seed_release as kit_seed_release
from konflux.testing._world import DIGEST, MANAGED, OTHER_DIGEST, TENANT

NS = TENANT

# Every flow here ends with the emulated API server's objects checked against upstream's CRDs
# (deploy/crds): what the kit seeded and everything the controllers wrote.
pytestmark = pytest.mark.usefixtures("schema_checked_clusters")


async def seed(cl: LocalCluster) -> None:
    await seed_tenant(cl.client)


async def seed_release(
    cl: LocalCluster, plan: str, rpa: str, owner: tuple[str, str], account: str = ""
) -> None:
    await kit_seed_release(cl.client, plan, rpa, owner, service_account=account)


async def finish(cl: LocalCluster, run: dict, test_result: str | None = None) -> None:
    await finish_run(cl.client, run, test_result)


def test_build_to_release_exactly_once_across_a_restart() -> None:
    async def scenario() -> None:
        async with LocalCluster() as cl:
            live = cl.api.live
            await cl.start(OperatorConfig(only=("integration", "release")))
            await seed(cl)
            await cl.client.create(c.PIPELINE_RUN, build_run("api-on-push-1"))

            snaps = await cl.wait_for("a Snapshot", lambda: live(c.SNAPSHOT, NS))
            snap = snaps[0]
            name = snap["metadata"]["name"]
            assert name == "app-20260501-102030-456"
            comps = {x["name"]: x for x in snap["spec"]["components"]}
            assert comps["api"]["containerImage"] == f"registry.local/tenant/api@{DIGEST}"
            assert comps["api"]["source"] == {
                "git": {"url": "https://git.example/org/api.git", "revision": "abc123"}
            }
            assert comps["web"]["containerImage"].endswith(OTHER_DIGEST)
            assert "docs" not in comps
            assert snap["metadata"]["annotations"][c.INVALID_COMPONENTS_ANNOTATION] == "docs"
            assert snap["metadata"]["labels"][c.BUILD_PIPELINERUN_LABEL] == "api-on-push-1"
            assert (
                snap["metadata"]["labels"]["pac.test.appstudio.openshift.io/event-type"] == "push"
            )

            # Two test runs (the PR-only scenario does not apply to a push Snapshot).
            def test_runs() -> list[dict]:
                return [
                    r
                    for r in live(c.PIPELINE_RUN, NS)
                    if r["metadata"]["labels"].get(c.PIPELINE_TYPE_LABEL) == "test"
                ]

            await cl.wait_for("two test runs", lambda: len(test_runs()) == 2)
            await cl.wait_for(
                "Component promoted",
                lambda: (
                    live(c.COMPONENT, NS)
                    and any(
                        (x.get("status") or {}).get("lastPromotedImage", "").endswith(DIGEST)
                        for x in live(c.COMPONENT, NS)
                    )
                ),
            )
            build = next(
                r for r in live(c.PIPELINE_RUN, NS) if r["metadata"]["name"] == "api-on-push-1"
            )
            assert build["metadata"]["annotations"][c.SNAPSHOT_ANNOTATION] == name
            required = next(
                r for r in test_runs() if r["metadata"]["labels"][c.SCENARIO_LABEL] == "conforma"
            )
            params = {p["name"]: p["value"] for p in required["spec"]["params"]}
            assert json.loads(params["SNAPSHOT"]) == snap["spec"]
            assert params["POLICY"] == "strict"
            assert required["metadata"]["ownerReferences"][0]["name"] == name

            # Restart the controllers while the tests run; replayed events create nothing new.
            await cl.stop()
            await cl.start(OperatorConfig(only=("integration", "release")))
            await asyncio.sleep(0.3)
            assert len(live(c.SNAPSHOT, NS)) == 1
            assert len(test_runs()) == 2

            await finish(cl, required, "SUCCESS")
            # The optional scenario is still running: it does not gate the release.
            releases = await cl.wait_for("a Release", lambda: live(c.RELEASE, NS))
            rel = releases[0]
            assert rel["metadata"]["name"].startswith(f"{name}-")
            assert rel["metadata"]["labels"][c.AUTOMATED_LABEL] == "true"

            def managed() -> list[dict]:
                return live(c.PIPELINE_RUN, MANAGED)

            runs = await cl.wait_for("the managed PipelineRun", managed)
            # release-service's conventions, as release-service-catalog pipelines need them
            mlabels = runs[0]["metadata"]["labels"]
            assert mlabels[c.PIPELINE_TYPE_LABEL] == c.PIPELINE_TYPE_MANAGED
            assert mlabels[c.SERVICE_LABEL] == "release" and mlabels[c.APPLICATION_LABEL] == "app"
            assert mlabels[c.RELEASE_ATTEMPT_LABEL] == "0"
            assert runs[0]["metadata"]["finalizers"] == [c.RELEASE_FINALIZER]
            assert runs[0]["spec"]["workspaces"][0]["name"] == "release-workspace"

            def releasing() -> dict | None:
                conds = (live(c.RELEASE, NS)[0].get("status") or {}).get("conditions") or []
                return next((x for x in conds if x["type"] == "Released"), None)

            running = await cl.wait_for("the Released condition", releasing)
            assert (running["status"], running["reason"]) == ("False", "Progressing")
            mparams = {p["name"]: p["value"] for p in runs[0]["spec"]["params"]}
            assert mparams["releaseServiceConfig"] == "release-service/release-service-config"
            assert mparams["snapshot"] == f"{NS}/{name}"
            assert mparams["release"] == f"{NS}/{rel['metadata']['name']}"
            assert mparams["releasePlanAdmission"] == f"{MANAGED}/accept"
            assert json.loads(mparams["enterpriseContractPolicy"]) == {
                "sources": [{"policy": ["oci::quay.io/x"]}]
            }
            assert live(c.ROLE_BINDING, NS)[0]["subjects"][0]["name"] == "release-sa"

            # Restart again before the managed run finishes.
            await cl.stop()
            await cl.start(OperatorConfig(only=("integration", "release")))
            await finish(cl, runs[0])

            def released() -> dict | None:
                r = live(c.RELEASE, NS)[0]
                conds = {x["type"]: x for x in (r.get("status") or {}).get("conditions", [])}
                return conds if conds.get("Released", {}).get("status") == "True" else None

            conds = await cl.wait_for("Released=True", released)
            assert conds["Validated"]["status"] == "True"
            assert conds["ManagedPipelineProcessed"]["reason"] == "Succeeded"
            assert conds["TenantPipelineProcessed"]["reason"] == "Skipped"
            snap = live(c.SNAPSHOT, NS)[0]
            sconds = {x["type"]: x for x in snap["status"]["conditions"]}
            assert sconds["AppStudioTestSucceeded"]["reason"] == "Passed"
            assert sconds["AutoReleased"]["status"] == "True"
            statuses = json.loads(snap["metadata"]["annotations"][c.TEST_STATUS_ANNOTATION])
            assert {s["scenario"]: s["status"] for s in statuses} == {
                "conforma": "TestPassed",
                "smoke": "InProgress",
            }
            assert all(s["lastUpdateTime"] for s in statuses)
            # the finished Release let go of its PipelineRun
            await cl.wait_for(
                "the release finalizer removed",
                lambda: not live(c.PIPELINE_RUN, MANAGED)[0]["metadata"].get("finalizers"),
            )

            # Exactly once, after two restarts.
            await asyncio.sleep(0.3)
            assert len(live(c.SNAPSHOT, NS)) == 1
            assert len(test_runs()) == 2
            assert len(live(c.RELEASE, NS)) == 1
            assert len(live(c.PIPELINE_RUN, MANAGED)) == 1
            plan = next(iter(cl.api.live(c.RELEASE_PLAN, NS)))
            assert plan["status"]["releasePlanAdmission"] == {
                "name": f"{MANAGED}/accept",
                "active": True,
            }
            rpa = next(iter(cl.api.live(c.RELEASE_PLAN_ADMISSION, MANAGED)))
            assert rpa["status"]["releasePlans"] == [{"name": f"{NS}/to-prod", "active": True}]
            # every object, seeded or written by the controllers, is as upstream's CRDs have it
            assert cl.api.schema_violations() == []

    asyncio.run(scenario())


def test_failed_build_creates_nothing_and_failed_test_blocks_release() -> None:
    async def scenario() -> None:
        async with LocalCluster() as cl:
            await cl.start(OperatorConfig(only=("integration", "release")))
            await seed(cl)
            await cl.client.create(c.PIPELINE_RUN, build_run("failed", succeeded=False))
            await cl.client.create(c.PIPELINE_RUN, build_run("ok"))
            snaps = await cl.wait_for("a Snapshot", lambda: cl.api.live(c.SNAPSHOT, NS))
            assert [s["metadata"]["labels"][c.BUILD_PIPELINERUN_LABEL] for s in snaps] == ["ok"]
            required = await cl.wait_for(
                "the required test run",
                lambda: [
                    r
                    for r in cl.api.live(c.PIPELINE_RUN, NS)
                    if r["metadata"]["labels"].get(c.SCENARIO_LABEL) == "conforma"
                ],
            )
            await finish(cl, required[0], "FAILURE")

            def failed() -> bool:
                conds = (cl.api.live(c.SNAPSHOT, NS)[0].get("status") or {}).get("conditions", [])
                return any(
                    x["type"] == "AppStudioTestSucceeded" and x["reason"] == "Failed" for x in conds
                )

            await cl.wait_for("AppStudioTestSucceeded=Failed", failed)
            await asyncio.sleep(0.2)
            assert cl.api.live(c.RELEASE, NS) == []

    asyncio.run(scenario())


def test_build_service_configures_pac_and_image_repository_sets_the_image(tmp_path) -> None:
    async def scenario() -> None:
        async with LocalCluster() as cl:
            await cl.start(
                OperatorConfig(only=("build",), registry="registry.local:5000", pac_dir=tmp_path)
            )
            await cl.client.create(
                c.COMPONENT,
                obj(
                    c.COMPONENT,
                    "api",
                    NS,
                    {
                        "application": "app",
                        "componentName": "api",
                        "source": {"git": {"url": "https://git.example/org/api.git"}},
                    },
                ),
            )
            await cl.client.create(
                c.IMAGE_REPOSITORY,
                obj(
                    c.IMAGE_REPOSITORY,
                    "api-image",
                    NS,
                    {"image": {"name": "tenant/api"}},
                    # as image-controller's README shows it (upstream-shaped)
                    labels={
                        c.IMAGE_REPOSITORY_APPLICATION_LABEL: "app",
                        c.IMAGE_REPOSITORY_COMPONENT_LABEL: "api",
                    },
                    annotations={c.UPDATE_COMPONENT_IMAGE_ANNOTATION: "true"},
                ),
            )

            def image() -> str | None:
                comp = cl.api.live(c.COMPONENT, NS)[0]
                return comp["spec"].get("containerImage")

            assert await cl.wait_for("containerImage", image) == "registry.local:5000/tenant/api"

            def annotation_dropped() -> bool:
                repo = cl.api.live(c.IMAGE_REPOSITORY, NS)[0]
                notes = repo["metadata"].get("annotations") or {}
                return c.UPDATE_COMPONENT_IMAGE_ANNOTATION not in notes

            await cl.wait_for("update-component-image dropped", annotation_dropped)
            await cl.wait_for("the PaC Repository", lambda: cl.api.live(c.PAC_REPOSITORY, NS))
            assert (
                cl.api.live(c.PAC_REPOSITORY, NS)[0]["spec"]["url"]
                == "https://git.example/org/api.git"
            )
            assert cl.api.live(c.SERVICE_ACCOUNT, NS)[0]["metadata"]["name"] == "build-pipeline-api"
            cm = await cl.wait_for("definitions", lambda: cl.api.live(c.CONFIG_MAP, NS))
            assert sorted(cm[0]["data"]) == ["api-pull-request.yaml", "api-push.yaml"]
            await cl.wait_for(
                "files", lambda: (tmp_path / NS / "api/.tekton/api-push.yaml").exists()
            )

            await cl.client.patch(
                c.COMPONENT,
                NS,
                "api",
                {"metadata": {"annotations": {c.BUILD_REQUEST_ANNOTATION: c.REQUEST_TRIGGER_PAC}}},
            )
            runs = await cl.wait_for("a triggered build", lambda: cl.api.live(c.PIPELINE_RUN, NS))
            assert runs[0]["metadata"]["labels"][c.PIPELINE_TYPE_LABEL] == "build"
            comp = await cl.wait_for(
                "the request consumed",
                lambda: [
                    x
                    for x in cl.api.live(c.COMPONENT, NS)
                    if c.BUILD_REQUEST_ANNOTATION not in x["metadata"].get("annotations", {})
                ],
            )
            status = json.loads(comp[0]["metadata"]["annotations"][c.BUILD_STATUS_ANNOTATION])
            assert status["pac"]["state"] == "enabled"
            assert status["trigger-count"] == 1
            await asyncio.sleep(0.2)
            assert len(cl.api.live(c.PIPELINE_RUN, NS)) == 1

    asyncio.run(scenario())


def test_two_peered_replicas_create_each_object_once() -> None:
    from konflux.controllers.operators import run

    peering = c.Resource(
        "kopf.dev", "v1", "clusterkopfpeerings", "ClusterKopfPeering", namespaced=False
    )

    async def scenario() -> None:
        async with LocalCluster() as cl:
            cl.api.declare([peering])
            await cl.client.create(
                peering,
                {
                    "apiVersion": "kopf.dev/v1",
                    "kind": "ClusterKopfPeering",
                    "metadata": {"name": "konflux-controllers"},
                },
            )
            stops = [asyncio.Event(), asyncio.Event()]
            replicas = [
                asyncio.create_task(
                    run(
                        cl.config,
                        OperatorConfig(only=("integration", "release")),
                        standalone=False,
                        priority=prio,
                        stop_flag=stop,
                    )
                )
                for prio, stop in zip((10, 20), stops, strict=True)
            ]
            try:
                await cl.wait_for(
                    "both replicas in the peering",
                    lambda: len(cl.api.live(peering)[0].get("status") or {}) == 2,
                )
                await seed(cl)
                for i in range(3):
                    await cl.client.create(c.PIPELINE_RUN, build_run(f"b{i}"))
                await cl.wait_for("three Snapshots", lambda: len(cl.api.live(c.SNAPSHOT, NS)) == 3)
                await cl.wait_for(
                    "six test runs",
                    lambda: (
                        len(
                            [
                                r
                                for r in cl.api.live(c.PIPELINE_RUN, NS)
                                if r["metadata"]["labels"].get(c.PIPELINE_TYPE_LABEL) == "test"
                            ]
                        )
                        == 6
                    ),
                )
                await asyncio.sleep(0.5)
                assert len(cl.api.live(c.SNAPSHOT, NS)) == 3
                assert len(cl.api.live(c.PIPELINE_RUN, NS)) == 3 + 6
            finally:
                for stop in stops:
                    stop.set()
                await asyncio.gather(*replicas, return_exceptions=True)

    asyncio.run(scenario())


def test_component_group_model_end_to_end() -> None:
    """integration-service's ComponentGroup model with release-service's: a build of a
    component version makes a Snapshot of the ComponentGroup listing it, the group's scenario
    tests it, its ReleasePlan auto-releases it, and an RPA on componentGroups admits it."""

    async def scenario() -> None:
        async with LocalCluster() as cl:
            live = cl.api.live
            await cl.start(OperatorConfig(only=("integration", "release")))
            create = cl.client.create
            await create(
                c.COMPONENT,
                obj(
                    c.COMPONENT,
                    "api",
                    NS,
                    {"source": {"git": {"url": "https://git.example/org/api.git"}}},
                ),
            )
            group = obj(
                c.COMPONENT_GROUP,
                "shop",
                NS,
                {
                    "components": [
                        {"name": "api", "componentVersion": {"name": "main"}},
                        {"name": "web", "componentVersion": {"name": "v1"}},
                    ]
                },
            )
            group["status"] = {
                "globalCandidateList": [
                    {
                        "name": "web",
                        "version": "v1",
                        "url": "https://git.example/org/web",
                        "lastPromotedImage": f"registry.local/tenant/web@{OTHER_DIGEST}",
                        "lastPromotedCommit": "c0ffee",
                    }
                ]
            }
            await create(c.COMPONENT_GROUP, group)
            ref = {"resolver": "git", "params": [{"name": "url", "value": "https://git.example/t"}]}
            await create(
                c.SCENARIO,
                obj(c.SCENARIO, "group-tests", NS, {"componentGroup": "shop", "resolverRef": ref}),
            )
            await seed_release(cl, "shop-to-prod", "accept-shop", ("componentGroup", "shop"))
            run = build_run("api-on-push-main")
            run["metadata"]["annotations"][c.COMPONENT_VERSION_ANNOTATION] = "main"
            await create(c.PIPELINE_RUN, run)

            (snap,) = await cl.wait_for("the group's Snapshot", lambda: live(c.SNAPSHOT, NS))
            assert snap["spec"]["componentGroup"] == "shop"
            assert [(x["name"], x["version"]) for x in snap["spec"]["components"]] == [
                ("api", "main"),
                ("web", "v1"),
            ]
            assert snap["metadata"]["labels"][c.COMPONENT_GROUP_LABEL] == "shop"

            def group_test_run() -> list[dict]:
                return [
                    r
                    for r in live(c.PIPELINE_RUN, NS)
                    if r["metadata"]["labels"].get(c.SCENARIO_LABEL) == "group-tests"
                ]

            (test_run,) = await cl.wait_for("the group's test run", group_test_run)
            await finish(cl, test_run, "SUCCESS")
            (rel,) = await cl.wait_for("a Release", lambda: live(c.RELEASE, NS))
            assert rel["spec"]["releasePlan"] == "shop-to-prod"
            (managed,) = await cl.wait_for("the managed run", lambda: live(c.PIPELINE_RUN, MANAGED))
            params = {p["name"]: p["value"] for p in managed["spec"]["params"]}
            assert params["releasePlanAdmission"] == f"{MANAGED}/accept-shop"
            stored = next(g for g in live(c.COMPONENT_GROUP, NS))
            candidates = {x["name"]: x for x in stored["status"]["globalCandidateList"]}
            assert candidates["api"]["lastPromotedImage"] == f"registry.local/tenant/api@{DIGEST}"
            assert cl.api.schema_violations() == []

    asyncio.run(scenario())
