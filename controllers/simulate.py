"""`konflux dev simulate`: the whole Konflux chain on this machine.

A real local OCI registry (Debian's docker-registry) holds signed, attested images; the
controllers run against the emulated API server; a small Tekton stand-in "runs" the
PipelineRuns the controllers create. For the test and the managed release PipelineRuns it
runs the `verify-conforma` Task itself (`controllers/task_runner`), with its defaults and
the params the pipeline gives, its steps reading the policy and the signing key from the
emulated cluster; the task's outcome becomes the run's `Succeeded` condition and
`TEST_OUTPUT` result, so the policy decides the Release's conditions.
"""

from __future__ import annotations

import asyncio
import base64
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from konflux.controllers import constants as c
from konflux.controllers.emulator import LocalCluster
from konflux.controllers.objects import Obj, condition, labels_of, name_of, namespace_of
from konflux.controllers.operators import OperatorConfig

TENANT, MANAGED, APP = "demo-tenant", "demo-managed", "demo-app"


@dataclass
class SimulationResult:
    snapshot: str
    test_output: Obj
    release: str
    conditions: dict[str, Obj]
    report: str  # the text report of the managed run's `konflux validate image`

    @property
    def released(self) -> bool:
        return self.conditions.get(c.CONDITION_RELEASED, {}).get("status") == "True"


VERIFY_CONFORMA = Path(__file__).resolve().parents[1] / "tasks/verify-conforma/verify-conforma.yaml"
# Where Konflux keeps the release signing key and the default policy; verify-conforma's
# defaults (and the policy's publicKey) name them.
KEY_NAMESPACE, KEY_SECRET = "openshift-pipelines", "public-key"
DEFAULT_POLICY_NAMESPACE, DEFAULT_POLICY = "enterprise-contract-service", "default"


def kubeconfig_for(cluster: LocalCluster, workdir: Path) -> Path:
    """A kubeconfig naming the emulated API server, for the task's steps."""
    path = workdir / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "sim", "cluster": {"server": cluster.config.server}}],
                "users": [{"name": "sim", "user": {}}],
                "contexts": [
                    {
                        "name": "sim",
                        "context": {"cluster": "sim", "user": "sim", "namespace": MANAGED},
                    }
                ],
                "current-context": "sim",
            }
        )
    )
    return path


async def verify_conforma(
    kubeconfig: Path, params: dict[str, str], workdir: Path
) -> tuple[bool, Obj, str]:
    """Run the verify-conforma Task itself (tasks/verify-conforma) with `params` and its
    defaults for the rest, its steps talking to the emulated cluster: (passed,
    TEST_OUTPUT, text report)."""
    from konflux.controllers.task_runner import load_task, run_task

    outcome = await asyncio.to_thread(
        run_task,
        load_task(VERIFY_CONFORMA),
        params,
        workdir,
        env={"KUBECONFIG": str(kubeconfig)},
    )
    raw = outcome.results.get(c.TEST_OUTPUT_RESULT)
    try:
        output = json.loads(raw) if raw else {}
    except ValueError:
        output = {}
    if not output:
        # Could not verify at all: a failure with the validate step's own words.
        output = {"result": "ERROR", "note": outcome.log("validate")[-2000:]}
    report = workdir / "home" / "text-report.txt"
    text = report.read_text() if report.exists() else outcome.log("validate")
    return outcome.succeeded, output, text


class TektonStandIn:
    """Finishes PipelineRuns: verify-conforma semantics for test and release runs."""

    def __init__(
        self,
        cluster: LocalCluster,
        policy: str,
        public_key: Path,
        workdir: Path,
        log: Callable[[str], None],
    ) -> None:
        self.cluster, self.policy, self.public_key = cluster, policy, public_key
        self.workdir, self.log = workdir, log
        self.kubeconfig = kubeconfig_for(cluster, workdir)
        self.done: set[tuple[str, str]] = set()
        self.reports: dict[str, str] = {}

    async def step(self) -> None:
        for run in self.cluster.api.live(c.PIPELINE_RUN):
            key = (namespace_of(run), name_of(run))
            kind = labels_of(run).get(c.PIPELINE_TYPE_LABEL)
            if key in self.done or condition(run, c.SUCCEEDED_CONDITION) is not None:
                continue
            if kind not in (c.PIPELINE_TYPE_TEST, c.PIPELINE_TYPE_RELEASE):
                continue
            self.done.add(key)
            params = {p["name"]: p["value"] for p in run["spec"].get("params", [])}
            if kind == c.PIPELINE_TYPE_TEST:
                # The scenario resolves verify-conforma with only the Snapshot: every other
                # param keeps its default (policy enterprise-contract-service/default).
                task_params = {"IMAGES": params["SNAPSHOT"]}
            else:
                # tasks/release-pipeline: IMAGES from the Snapshot, POLICY_CONFIGURATION the
                # ECP spec release-service passes, STRICT true; the rest are defaults.
                ns, name = params["snapshot"].split("/", 1)
                snap = await self.cluster.client.get(c.SNAPSHOT, ns, name)
                task_params = {
                    "IMAGES": json.dumps((snap or {}).get("spec") or {}),
                    "POLICY_CONFIGURATION": params["enterpriseContractPolicy"],
                    "STRICT": "true",
                }
            self.log(f"tekton: {kind} PipelineRun {key[1]}: task verify-conforma ...")
            work = self.workdir / key[1]
            work.mkdir(parents=True, exist_ok=True)
            passed, output, text = await verify_conforma(self.kubeconfig, task_params, work)
            self.reports[key[1]] = text
            self.log(f"tekton: {key[1]} -> {output.get('result')}")
            await self.cluster.client.create(
                c.TASK_RUN,
                {
                    "apiVersion": c.TASK_RUN.api_version,
                    "kind": c.TASK_RUN.kind,
                    "metadata": {
                        "name": f"{key[1]}-verify-conforma",
                        "namespace": key[0],
                        "labels": {c.TEKTON_PIPELINE_RUN_LABEL: key[1]},
                    },
                    "spec": {"taskRef": {"kind": "Task", "name": "verify-conforma"}},
                    "status": {
                        "results": [{"name": c.TEST_OUTPUT_RESULT, "value": json.dumps(output)}]
                    },
                },
            )
            await self.cluster.client.patch(
                c.PIPELINE_RUN,
                key[0],
                key[1],
                {
                    "status": {
                        "conditions": [
                            {
                                "type": c.SUCCEEDED_CONDITION,
                                "status": "True" if passed else "False",
                                "reason": "Succeeded" if passed else "Failed",
                            }
                        ]
                    }
                },
                status=True,
            )


def _obj(res: c.Resource, name: str, ns: str, spec: Obj, **meta: Any) -> Obj:
    return {
        "apiVersion": res.api_version,
        "kind": res.kind,
        "metadata": {"name": name, "namespace": ns, **meta},
        "spec": spec,
    }


async def simulate(
    components: list[Obj],
    policy_json: str,
    public_key: Path,
    workdir: Path,
    log: Callable[[str], None],
    timeout: float = 120.0,
    optional_tests: bool = False,
) -> SimulationResult:
    """Drive build -> Snapshot -> test -> Release -> managed run for `components`
    (Snapshot entries of images already in the registry; the first is "built").

    With `optional_tests` the test scenario does not gate, so a policy violation reaches
    the managed pipeline and fails the Release there instead of blocking it earlier."""
    policy_spec = json.loads(policy_json).get("spec") or json.loads(policy_json)
    async with LocalCluster() as cl:
        await cl.start(OperatorConfig(only=("integration", "release")))
        create = cl.client.create
        await create(c.APPLICATION, _obj(c.APPLICATION, APP, TENANT, {"displayName": APP}))
        for i, comp in enumerate(components):
            body = _obj(
                c.COMPONENT,
                comp["name"],
                TENANT,
                {
                    "application": APP,
                    "componentName": comp["name"],
                    "source": {"git": {"url": comp["source"]["git"]["url"]}},
                    "containerImage": comp["containerImage"].split("@")[0],
                },
            )
            if i:
                body["status"] = {
                    "lastPromotedImage": comp["containerImage"],
                    "lastBuiltCommit": comp["source"]["git"]["revision"],
                }
            await create(c.COMPONENT, body)
        await create(
            c.SCENARIO,
            _obj(
                c.SCENARIO,
                "conforma",
                TENANT,
                {
                    "application": APP,
                    "resolverRef": {
                        "resolver": "cluster",
                        "params": [
                            {"name": "kind", "value": "task"},
                            {"name": "name", "value": "verify-conforma"},
                        ],
                    },
                    "contexts": [{"name": "application"}],
                },
                labels={c.OPTIONAL_LABEL: "true"} if optional_tests else {},
            ),
        )
        await create(
            c.RELEASE_PLAN,
            _obj(
                c.RELEASE_PLAN,
                "to-production",
                TENANT,
                {"application": APP, "target": MANAGED},
                labels={c.AUTO_RELEASE_LABEL: "true", c.AUTHOR_LABEL: "demo-user"},
            ),
        )
        await create(
            c.RELEASE_PLAN_ADMISSION,
            _obj(
                c.RELEASE_PLAN_ADMISSION,
                "demo-app",
                MANAGED,
                {
                    "applications": [APP],
                    "origin": TENANT,
                    "policy": "demo-policy",
                    "pipeline": {
                        "pipelineRef": {
                            "resolver": "cluster",
                            "params": [
                                {"name": "kind", "value": "pipeline"},
                                {"name": "name", "value": "konflux-release"},
                            ],
                        },
                        "serviceAccountName": "release-service-account",
                    },
                },
            ),
        )
        # The release key lives where Konflux keeps it; the policies name it (k8s://), so
        # verify-conforma reads it from the cluster with its default PUBLIC_KEY ("").
        await create(
            c.SECRET,
            {
                "apiVersion": c.SECRET.api_version,
                "kind": c.SECRET.kind,
                "metadata": {"name": KEY_SECRET, "namespace": KEY_NAMESPACE},
                "type": "Opaque",
                "data": {"cosign.pub": base64.b64encode(public_key.read_bytes()).decode()},
            },
        )
        policy_spec = {**policy_spec, "publicKey": f"k8s://{KEY_NAMESPACE}/{KEY_SECRET}"}
        await create(c.POLICY, _obj(c.POLICY, "demo-policy", MANAGED, policy_spec))
        await create(
            c.POLICY, _obj(c.POLICY, DEFAULT_POLICY, DEFAULT_POLICY_NAMESPACE, policy_spec)
        )

        built = components[0]
        image, digest = built["containerImage"].split("@")
        log(f"build: PipelineRun for {built['name']} succeeded ({image}@{digest[:19]}...)")
        await create(
            c.PIPELINE_RUN,
            {
                **_obj(
                    c.PIPELINE_RUN,
                    f"{built['name']}-on-push-1",
                    TENANT,
                    {"pipelineRef": {"name": "konflux-build"}},
                    labels={
                        c.PIPELINE_TYPE_LABEL: c.PIPELINE_TYPE_BUILD,
                        c.COMPONENT_LABEL: built["name"],
                        c.APPLICATION_LABEL: APP,
                        c.PAC_EVENT_TYPE_LABEL: "push",
                    },
                    annotations={c.CHAINS_SIGNED_ANNOTATION: "true"},
                ),
                "status": {
                    "conditions": [{"type": "Succeeded", "status": "True"}],
                    "results": [
                        {"name": "IMAGE_URL", "value": f"{image}:v1"},
                        {"name": "IMAGE_DIGEST", "value": digest},
                        {"name": "CHAINS-GIT_URL", "value": built["source"]["git"]["url"]},
                        {"name": "CHAINS-GIT_COMMIT", "value": built["source"]["git"]["revision"]},
                    ],
                },
            },
        )

        tekton = TektonStandIn(cl, json.dumps(policy_spec), public_key, workdir, log)

        def outcome() -> Obj | None:
            snaps = cl.api.live(c.SNAPSHOT, TENANT)
            test = condition(snaps[0], c.CONDITION_TEST_SUCCEEDED) if snaps else None
            if test is not None and test.get("status") == "False":
                return {"snapshot": snaps[0], "release": None}
            for rel in cl.api.live(c.RELEASE, TENANT):
                cond = condition(rel, c.CONDITION_RELEASED)
                if cond is not None and cond.get("status") in ("True", "False"):
                    return {"snapshot": snaps[0], "release": rel}
            return None

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (found := outcome()) is None:
            if loop.time() > deadline:
                raise TimeoutError(f"the chain did not finish within {timeout:.0f}s")
            await tekton.step()
            await asyncio.sleep(0.05)
        snap, rel = found["snapshot"], found["release"]
        statuses = json.loads(snap["metadata"]["annotations"].get(c.TEST_STATUS_ANNOTATION, "[]"))
        runs = [r for r in cl.api.live(c.TASK_RUN, TENANT)]
        test_output = json.loads(runs[0]["status"]["results"][0]["value"]) if runs else {}
        log(
            f"integration: Snapshot {name_of(snap)} tests: "
            f"{', '.join(s['scenario'] + '=' + s['status'] for s in statuses)}"
        )
        if rel is None:
            return SimulationResult(name_of(snap), test_output, "", {}, "")
        conds = {x["type"]: x for x in rel["status"]["conditions"]}
        managed = next(iter(cl.api.live(c.PIPELINE_RUN, MANAGED)), None)
        report = tekton.reports.get(name_of(managed) if managed else "", "")
        return SimulationResult(name_of(snap), test_output, name_of(rel), conds, report)


def run_simulation(failing: bool, log: Callable[[str], None]) -> SimulationResult:
    """Start the registry, publish the demo app, run the chain (sync entry point)."""
    from konflux.cli.demo import _policy_with_absolute_sources, publish
    from konflux.engine.oci.local_registry import LocalRegistry, free_port

    with tempfile.TemporaryDirectory(prefix="konflux-simulate-") as tmp:
        workdir = Path(tmp)
        log("registry: starting docker-registry on 127.0.0.1 ...")
        with LocalRegistry(workdir / "registry", free_port()) as registry:
            log("registry: building, signing and attesting api, web, worker ...")
            snapshot_file, public = publish(registry.host, workdir)
            components = yaml.safe_load(snapshot_file.read_text())["spec"]["components"]
            # `worker` lacks a required label: keep it out for a clean run; with `failing` it
            # stays in and the test scenario is informational, so the release gate decides.
            if not failing:
                components = [x for x in components if x["name"] != "worker"]
            return asyncio.run(
                simulate(
                    components,
                    _policy_with_absolute_sources(),
                    public,
                    workdir,
                    log,
                    optional_tests=failing,
                )
            )
