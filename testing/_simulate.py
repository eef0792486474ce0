"""`konflux dev simulate`: the whole Konflux chain on this machine, trust chain included.

A real local OCI registry (Debian's docker-registry) holds the task bundles and the
built images; the controllers run against the emulated API server, with the Chains-style
signer in its own namespace holding the only trusted key; a small Tekton stand-in
records build PipelineRuns the way Tekton does (`buildruns`) and "runs" the
PipelineRuns the controllers create. For the test and the managed release PipelineRuns
it runs the `verify-conforma` Task itself (`controllers/task_runner`): its steps, with
its defaults and the params the scenario or the release Pipeline gives, reading the
policy and the keys from the emulated cluster; the Task's outcome becomes the run's
`Succeeded` condition and `TEST_OUTPUT` result; a managed run that passes copies the
images to the production repository (`push-to-target`).

Scenarios: `default` (every component built and signed by the signer, released),
`failing` (a component violates the release policy), `forged` (the tenant builds an
image on its laptop, signs and attests it with its own key and a provenance copied from
a real build, and creates the Snapshot itself: the release is refused), `untrusted`
(the build uses a task bundle outside the trusted-tasks data: the signer signs it, the
release is refused on `trusted_task.trusted`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import tempfile
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from konflux.controllers import constants as c
from konflux.controllers.buildruns import Build, TaskBundle, play_build
from konflux.controllers.chains.config import CONFIG_MAP_NAME, DEFAULT_NAMESPACE
from konflux.controllers.chains.secrets import key_secrets
from konflux.controllers.objects import (
    Obj,
    annotations_of,
    condition,
    labels_of,
    name_of,
    namespace_of,
)
from konflux.controllers.operators import OperatorConfig
from konflux.controllers.release import is_finished
from konflux.engine.oci import ImageReference, RegistryClient, build_image, parse_reference
from konflux.engine.sigstore import KeyPair, generate_key_pair
from konflux.engine.sigstore import cosign_layout as layout
from konflux.engine.sigstore.verify import fetch_artifact_layers
from konflux.testing._demo import COMPONENTS, GIT_URL, sbom_document
from konflux.testing._emulator import LocalCluster
from konflux.testing._publish import Signer, publish_component
from konflux.testing._world import resource_object, seed_release

TENANT, MANAGED, APP = "demo-tenant", "demo-managed", "demo-app"
# `dev simulate --console`: given the running cluster, serve something over it meanwhile.
ConsoleHook = Callable[[LocalCluster], AbstractAsyncContextManager[Any]]
SCENARIOS = ("default", "failing", "forged", "untrusted")
ROOT = Path(__file__).resolve().parents[1]
# Pipeline task -> the Task its bundle holds (Konflux's docker-build names).
PIPELINE_TASKS = {
    "clone-repository": "git-clone",
    "build-container": "buildah",
    "clair-scan": "clair-scan",
}
VERIFY_CONFORMA = ROOT / "tasks/verify-conforma/verify-conforma.yaml"
RELEASE_PIPELINE = ROOT / "tasks/release-pipeline/release-pipeline.yaml"
# verify-conforma's default POLICY_CONFIGURATION: where the test scenario's policy lives.
DEFAULT_POLICY_NAMESPACE, DEFAULT_POLICY = "enterprise-contract-service", "default"
# The release policy the managed pipeline enforces: Conforma's release library.
RELEASE_INCLUDE = [
    "@minimal",
    "@slsa3",
    "trusted_task",
    "attestation_type",
    "buildah_build_task",
    "tasks",
    "test",
    "sbom",
]


@dataclass
class SimulationResult:
    snapshot: str
    test_output: Obj
    release: str
    conditions: dict[str, Obj]
    report: str  # the text report of the managed run's `konflux validate image`
    production: list[str] = field(default_factory=list)  # images copied to production
    signed: list[str] = field(default_factory=list)  # build runs the signer signed

    @property
    def released(self) -> bool:
        return self.conditions.get(c.CONDITION_RELEASED, {}).get("status") == "True"


# --- what the registry holds before any build ----------------------------------------------


async def push_bundles(
    client: RegistryClient, host: str, repo: str = "konflux-ci/tekton-catalog"
) -> dict[str, TaskBundle]:
    """Task bundles for the build's pipeline tasks, pushed and pinned by digest."""
    bundles = {}
    for pipeline_task, task in PIPELINE_TASKS.items():
        image = build_image({f"tekton/{task}.yaml": f"kind: Task\nname: {task}\n".encode()})
        ref = await image.push(client, parse_reference(f"{host}/{repo}/task-{task}:0.1"))
        bundles[pipeline_task] = TaskBundle(task, f"{host}/{repo}/task-{task}:0.1@{ref.digest}")
    return bundles


def trusted_tasks(bundles: dict[str, TaskBundle]) -> dict[str, list[Obj]]:
    """Trusted-tasks rule data naming `bundles` (what `konflux policy track-task` writes)."""
    return {
        f"oci://{b.repository}:{b.ref.split('@')[0].rsplit(':', 1)[1]}": [
            {"ref": b.digest, "effective_on": "2025-01-01T00:00:00Z"}
        ]
        for b in bundles.values()
    }


def release_policy(public_pem: str, trusted: dict[str, list[Obj]]) -> Obj:
    """The EnterpriseContractPolicy spec of the managed namespace: the release library,
    the trusted tasks, and the signer's public key (nothing else is trusted)."""
    return {
        "description": "Release policy: SLSA provenance from the signer, trusted tasks.",
        "publicKey": public_pem,
        "sources": [
            {
                "name": "release-policies",
                "policy": [str(ROOT / "rego/release"), str(ROOT / "rego/lib")],
                "data": [str(ROOT / "rego/data")],
                "ruleData": {"trusted_tasks": trusted},
                "config": {"include": RELEASE_INCLUDE},
            }
        ],
    }


async def push_component(
    client: RegistryClient, host: str, name: str, tag: str = "v1"
) -> tuple[ImageReference, str]:
    """Build and push one component's image and its SBOM, as the build task does (no
    signature: the build has no key); the image by digest and its SBOM_BLOB_URL."""
    document = sbom_document(name)
    ref = await publish_component(
        client,
        parse_reference(f"{host}/demo/{name}:{tag}"),
        files={f"app/{name}": secrets.token_bytes(128)},
        labels=COMPONENTS[name],
        sbom=document,
    )
    return ref, f"{ref.context}@{layout.Blob(document, '').digest}"


def build_of(
    name: str,
    ref: ImageReference,
    sbom: str,
    bundles: dict[str, TaskBundle],
    run: str,
    commit: str,
) -> Build:
    return Build(
        namespace=TENANT,
        name=run,
        component=name,
        application=APP,
        git_url=GIT_URL,
        commit=commit,
        image_url=f"{ref.context}:v1",
        image_digest=str(ref.digest),
        bundles=bundles,
        sbom_blob_url=sbom,
    )


async def copy_image(client: RegistryClient, src: ImageReference, dst: ImageReference) -> None:
    """Copy an image by digest to another repository (the release's push-to-target)."""
    manifest = await client.get_manifest(src)
    for descriptor in [manifest.config(), *manifest.descriptors()]:
        data = await client.get_blob(src, descriptor.digest)
        await client.push_blob(dst, data, media_type=descriptor.media_type, mount_from=src)
    await client.put_manifest(dst, manifest.raw, manifest.media_type)


# --- the Tekton stand-in -------------------------------------------------------------------


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


def release_public_key() -> str:
    """The release Pipeline's `publicKey` default: the key verify-conforma is given there."""
    pipeline = yaml.safe_load(RELEASE_PIPELINE.read_text())
    params = {p["name"]: p for p in pipeline["spec"]["params"]}
    return str(params["publicKey"]["default"])


async def verify_conforma(
    kubeconfig: Path, params: dict[str, str], workdir: Path
) -> tuple[bool, Obj, str, str | None]:
    """Run the verify-conforma Task itself (tasks/verify-conforma) with `params` and its
    defaults for the rest, its steps talking to the emulated cluster: (passed,
    TEST_OUTPUT, text report, REPORT_JSON when REPORT_RESULT is "true")."""
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
    return outcome.succeeded, output, text, outcome.results.get("REPORT_JSON") or None


class TektonStandIn:
    """Finishes test and release PipelineRuns with verify-conforma semantics; a passing
    managed run copies the Snapshot's images to `<registry>/production/<component>`."""

    def __init__(
        self,
        cluster: LocalCluster,
        registry: RegistryClient,
        host: str,
        policy: str,
        workdir: Path,
        log: Callable[[str], None],
    ) -> None:
        self.cluster, self.registry, self.host, self.policy = cluster, registry, host, policy
        self.workdir, self.log = workdir, log
        self.kubeconfig = kubeconfig_for(cluster, workdir)
        self.done: set[tuple[str, str]] = set()
        self.reports: dict[str, str] = {}
        self.production: list[str] = []

    async def step(self) -> None:
        for run in self.cluster.api.live(c.PIPELINE_RUN):
            key = (namespace_of(run), name_of(run))
            kind = labels_of(run).get(c.PIPELINE_TYPE_LABEL)
            if key in self.done or condition(run, c.SUCCEEDED_CONDITION) is not None:
                continue
            if kind not in (c.PIPELINE_TYPE_TEST, c.PIPELINE_TYPE_MANAGED):
                continue
            self.done.add(key)
            await self._finish(run, key, kind)

    async def _finish(self, run: Obj, key: tuple[str, str], kind: str) -> None:
        params = {p["name"]: p["value"] for p in run["spec"].get("params", [])}
        work = self.workdir / key[1]
        work.mkdir(parents=True, exist_ok=True)
        if kind == c.PIPELINE_TYPE_TEST:
            # The scenario resolves verify-conforma with the Snapshot and its own params;
            # the rest keep the Task's defaults (policy enterprise-contract-service/default).
            spec = json.loads(params["SNAPSHOT"])
            task_params = {"IMAGES": params["SNAPSHOT"], "REPORT_RESULT": "true"}
            if params.get("PUBLIC_KEY"):  # the tenant's scenario names its own key
                task_params["PUBLIC_KEY"] = params["PUBLIC_KEY"]
        else:
            # tasks/release-pipeline: IMAGES from the Snapshot, POLICY_CONFIGURATION the ECP
            # release-service passes, PUBLIC_KEY the Pipeline's (the signer's Secret).
            ns, name = params["snapshot"].split("/", 1)
            snap = await self.cluster.client.get(c.SNAPSHOT, ns, name)
            spec = (snap or {}).get("spec") or {}
            task_params = {
                "IMAGES": json.dumps(spec),
                "POLICY_CONFIGURATION": params["enterpriseContractPolicy"],
                "PUBLIC_KEY": params.get("publicKey") or release_public_key(),
                "STRICT": "true",
                "REPORT_RESULT": "true",  # for the web console (konflux's param)
            }
        self.log(f"tekton: {kind} PipelineRun {key[1]}: task verify-conforma ...")
        passed, output, text, report = await verify_conforma(self.kubeconfig, task_params, work)
        self.reports[key[1]] = text
        self.log(f"tekton: {key[1]} -> {output.get('result')}")
        results = [{"name": c.TEST_OUTPUT_RESULT, "value": json.dumps(output)}]
        if report:  # verify-conforma with REPORT_RESULT=true: the full report, for the console
            results.append({"name": "REPORT_JSON", "value": report})
        if kind == c.PIPELINE_TYPE_MANAGED and passed:
            for comp in spec.get("components") or []:
                src = parse_reference(comp["containerImage"])
                dst = parse_reference(f"{self.host}/production/{comp['name']}:released")
                await copy_image(self.registry, src, dst)
                self.production.append(f"{dst.context}@{src.digest}")
                self.log(f"tekton: push-to-target {comp['name']} -> {dst.context}")
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
                "status": {"results": results},
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


# --- the chain -----------------------------------------------------------------------------


async def install_signer(
    cl: LocalCluster, pair: KeyPair, fmt: str = "slsa/v1", extra: Obj | None = None
) -> None:
    """The signer's namespace content: its key Secrets and `chains-config`."""
    for secret in key_secrets(DEFAULT_NAMESPACE, "signing-secrets", pair, b""):
        await cl.client.create(c.SECRET, secret)
    config = {"artifacts.pipelinerun.format": fmt, **(extra or {})}
    await cl.client.create(
        c.CONFIG_MAP,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": CONFIG_MAP_NAME, "namespace": DEFAULT_NAMESPACE},
            "data": config,
        },
    )


def signed_state(cl: LocalCluster, ns: str, name: str) -> str | None:
    """The run's `chains.tekton.dev/signed` annotation (None while unsigned)."""
    for run in cl.api.live(c.PIPELINE_RUN, ns):
        if name_of(run) == name:
            return annotations_of(run).get(c.CHAINS_SIGNED_ANNOTATION)
    return None


async def wait_signed(cl: LocalCluster, ns: str, name: str, timeout: float = 30.0) -> str:
    return str(
        await cl.wait_for(f"the signer on {name}", lambda: signed_state(cl, ns, name), timeout)
    )


async def forge(
    client: RegistryClient, host: str, genuine: ImageReference, workdir: Path
) -> tuple[ImageReference, Path]:
    """The tenant's laptop build: an image pushed with the tenant's push secret, signed and
    attested with a key the tenant made, the provenance copied from a genuine build of
    the same component (trusted tasks and all) with its digests changed to the laptop
    image's. The tenant's public key file."""
    layers = await fetch_artifact_layers(client, genuine, layout.ATTESTATION_SUFFIX) or []
    envelope = json.loads(layers[0][1])
    # Copy the genuine provenance and make it claim the laptop image: every mention of the
    # genuine digest (the build task's IMAGE_DIGEST result, the subject) now names it.
    text = base64.b64decode(envelope["payload"]).decode()
    laptop = build_image({"app/api": b"built on a laptop"}, labels=COMPONENTS["api"])
    statement = json.loads(text.replace(str(genuine.digest), laptop.digest))
    tenant = Signer.generate()
    ref = await publish_component(
        client,
        parse_reference(f"{host}/demo/api:laptop"),
        signer=tenant,
        image=laptop,
        attestations=[(statement["predicateType"], statement["predicate"])],
    )
    public = workdir / "tenant.pub"
    public.write_text(tenant.public_pem)
    return ref, public


async def simulate(
    host: str,
    workdir: Path,
    log: Callable[[str], None],
    scenario: str = "default",
    timeout: float = 120.0,
    fmt: str = "slsa/v1",
    console: ConsoleHook | None = None,
) -> SimulationResult:
    """Build (signer signs) -> Snapshot -> test -> Release -> managed run, on the registry
    at `host`, for one of `SCENARIOS`. `console` (`dev simulate --console`) is entered once
    the cluster is up and left after the outcome, before the cluster stops."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose from {SCENARIOS}")
    names = ["api", "web", "worker"] if scenario == "failing" else ["api", "web"]
    pair = generate_key_pair(b"")
    async with RegistryClient() as registry:
        bundles = await push_bundles(registry, host)
        untrusted = await push_bundles(registry, host, repo="demo-tenant/tasks")
        trusted = trusted_tasks(bundles)
        images = {n: await push_component(registry, host, n) for n in names}
        commits = {n: secrets.token_hex(20) for n in names}
        signed: list[str] = []

        # The components built earlier: their builds, signed by the signer, in a cluster of
        # their own (so they do not become Snapshots of this run).
        earlier = names if scenario == "forged" else names[1:]
        async with LocalCluster() as past:
            await install_signer(past, pair, fmt)
            await past.start(OperatorConfig(only=("chains",)))
            for n in earlier:
                run = f"{n}-on-push-0"
                await play_build(past.client, build_of(n, *images[n], bundles, run, commits[n]))
                state = await wait_signed(past, TENANT, run)
                log(f"chains: build {run} of {n}: signed={state}")
                signed.append(run)

        policy = release_policy(pair.public_pem.decode(), trusted)
        scenario_params: list[Obj] = []
        snapshot_images = {n: f"{images[n][0].context}@{images[n][0].digest}" for n in names}
        if scenario == "forged":
            laptop, tenant_key = await forge(registry, host, images["api"][0], workdir)
            log(f"tenant: built {laptop} on a laptop, signed and attested it with its own key")
            snapshot_images["api"] = f"{laptop.context}@{laptop.digest}"
            scenario_params = [{"name": "PUBLIC_KEY", "value": tenant_key.read_text()}]

        hold = console or (lambda _: contextlib.nullcontext())
        async with LocalCluster() as cl, hold(cl):
            await install_signer(cl, pair, fmt)
            await cl.start(OperatorConfig(only=("chains", "integration", "release")))
            await _seed(cl, names, snapshot_images, commits, policy, scenario, scenario_params)
            tekton = TektonStandIn(cl, registry, host, json.dumps(policy), workdir, log)
            if scenario == "forged":
                # Only the forged component: the tenant's scenario checks with its own key.
                await _manual_snapshot(cl, ["api"], snapshot_images, commits)
                log("tenant: created the Snapshot itself, naming the laptop image")
            else:
                used = bundles
                if scenario == "untrusted":
                    used = dict(bundles, **{"build-container": untrusted["build-container"]})
                    bundle = used["build-container"].ref
                    log(f"build: api uses an untrusted task bundle {bundle}")
                built = build_of("api", *images["api"], used, "api-on-push-1", commits["api"])
                short = f"{built.image_url}@{built.image_digest[:19]}..."
                log(f"build: PipelineRun {built.name} succeeded ({short})")
                await play_build(cl.client, built)
                state = await wait_signed(cl, TENANT, built.name)
                log(f"chains: build {built.name}: signed={state}")
                signed.append(built.name)
            result = await _drive(cl, tekton, timeout)
            result.signed = signed
            result.production = tekton.production
            return result


async def _seed(
    cl: LocalCluster,
    names: list[str],
    images: dict[str, str],
    commits: dict[str, str],
    policy: Obj,
    scenario: str,
    scenario_params: list[Obj],
) -> None:
    create = cl.client.create
    await create(c.APPLICATION, resource_object(c.APPLICATION, APP, TENANT, {"displayName": APP}))
    for i, name in enumerate(names):
        body = resource_object(
            c.COMPONENT,
            name,
            TENANT,
            {
                "application": APP,
                "componentName": name,
                "source": {"git": {"url": GIT_URL}},
                "containerImage": images[name].split("@")[0],
            },
        )
        if i:
            body["status"] = {"lastPromotedImage": images[name], "lastBuiltCommit": commits[name]}
        await create(c.COMPONENT, body)
    # `failing`: the tests only inform, so the release gate decides; `forged`: the tenant's
    # own scenario verifies with the tenant's key.
    labels = {c.OPTIONAL_LABEL: "true"} if scenario in ("failing", "untrusted") else {}
    await create(
        c.SCENARIO,
        resource_object(
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
                **({"params": scenario_params} if scenario_params else {}),
            },
            labels=labels,
        ),
    )
    release_pipeline = {
        "pipelineRef": {
            "resolver": "cluster",
            "params": [
                {"name": "kind", "value": "pipeline"},
                {"name": "name", "value": "konflux-release"},
            ],
        },
    }
    await seed_release(
        cl.client,
        "to-production",
        "demo-app",
        ("application", APP),
        tenant=TENANT,
        managed=MANAGED,
        policy=("demo-policy", policy),
        pipeline=release_pipeline,
        service_account="release-service-account",
        author="demo-user",
    )
    # The test scenario's verify-conforma keeps its default POLICY_CONFIGURATION.
    await create(
        c.POLICY, resource_object(c.POLICY, DEFAULT_POLICY, DEFAULT_POLICY_NAMESPACE, policy)
    )


async def _manual_snapshot(
    cl: LocalCluster, names: list[str], images: dict[str, str], commits: dict[str, str]
) -> None:
    """The tenant creates a push Snapshot itself (its role allows it)."""
    await cl.client.create(
        c.SNAPSHOT,
        resource_object(
            c.SNAPSHOT,
            "demo-app-by-hand",
            TENANT,
            {
                "application": APP,
                "components": [
                    {
                        "name": n,
                        "containerImage": images[n],
                        "source": {"git": {"url": GIT_URL, "revision": commits[n]}},
                    }
                    for n in names
                ],
            },
            labels={
                c.SNAPSHOT_TYPE_LABEL: c.SNAPSHOT_TYPE_COMPONENT,
                c.PAC_COPY_PREFIX + "event-type": "push",
            },
        ),
    )


async def _drive(cl: LocalCluster, tekton: TektonStandIn, timeout: float) -> SimulationResult:
    def outcome() -> Obj | None:
        snaps = cl.api.live(c.SNAPSHOT, TENANT)
        test = condition(snaps[0], c.CONDITION_TEST_SUCCEEDED) if snaps else None
        if test is not None and test.get("status") == "False":
            return {"snapshot": snaps[0], "release": None}
        for rel in cl.api.live(c.RELEASE, TENANT):
            if is_finished(rel):
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
    runs = list(cl.api.live(c.TASK_RUN, TENANT))
    test_output = next(
        (
            json.loads(r["status"]["results"][0]["value"])
            for r in runs
            if name_of(r).endswith("-verify-conforma")
        ),
        {},
    )
    tekton.log(
        f"integration: Snapshot {name_of(snap)} tests: "
        f"{', '.join(s['scenario'] + '=' + s['status'] for s in statuses)}"
    )
    if rel is None:
        return SimulationResult(name_of(snap), test_output, "", {}, "")
    conds = {x["type"]: x for x in rel["status"]["conditions"]}
    managed = next(iter(cl.api.live(c.PIPELINE_RUN, MANAGED)), None)
    report = tekton.reports.get(name_of(managed) if managed else "", "")
    return SimulationResult(name_of(snap), test_output, name_of(rel), conds, report)


def run_simulation(
    scenario: str, log: Callable[[str], None], console: ConsoleHook | None = None
) -> SimulationResult:
    """Start the registry, run the chain (sync entry point)."""
    from konflux.testing._registry import LocalRegistry, free_port

    with tempfile.TemporaryDirectory(prefix="konflux-simulate-") as tmp:
        workdir = Path(tmp)
        log("registry: starting docker-registry on 127.0.0.1 ...")
        with LocalRegistry(workdir / "registry", free_port()) as registry:
            return asyncio.run(simulate(registry.host, workdir, log, scenario, console=console))
