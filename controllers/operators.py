"""The kopf handlers of the three operators, and running them.

Handlers are thin: read the event's object and the related objects through the one
`KubeClient` (`konflux.kube.client`), call a pure reconcile function, apply the `Actions`.
They are level-triggered (`kopf.on.event`, including the initial listing), so after a
restart each object is simply reconciled again from what exists; keyed creates make that
safe. An in-process
lock per cause serializes reconciles that could race for the same create (a build run's
Snapshot, a Snapshot's Releases); across replicas kopf peering keeps one active.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import kopf

from konflux.controllers import build, integration, release
from konflux.controllers import constants as c
from konflux.controllers.chains.config import ChainsOptions
from konflux.controllers.gates import Gates
from konflux.controllers.locks import KeyedLocks
from konflux.controllers.objects import Actions, Obj, labels_of, name_of, namespace_of
from konflux.kube.client import KubeClient
from konflux.kube.config import ClusterConfig
from konflux.kube.login import KopfLogin
from konflux.kube.resources import Resource

if TYPE_CHECKING:
    from konflux.controllers.chains.operator import Signer

OPERATORS, DEFAULT_OPERATORS = c.OPERATORS, c.DEFAULT_OPERATORS
logger = logging.getLogger("konflux.controllers")


@dataclass
class OperatorConfig:
    """What the operators need besides the API: which run, and their options."""

    only: Collection[str] = DEFAULT_OPERATORS
    registry: str = "localhost:5000"  # image-controller's registry for new ImageRepositories
    pac_dir: Path | None = None  # where build-service writes proposed `.tekton/` files
    # The ReleaseServiceConfig release pipelines are pointed at (`namespace/name`).
    release_service_config: str = f"release-service/{c.RELEASE_SERVICE_CONFIG_NAME}"
    # Called with (event name, object) after each apply; the bench measures with it.
    observer: Callable[[str, Obj], None] | None = None
    chains: ChainsOptions = field(default_factory=ChainsOptions)
    # The gates bundle deciding Releases and Snapshots (None: the shipped rego/gates).
    gates: Gates | None = None
    locks: KeyedLocks = field(default_factory=KeyedLocks)

    def lock(self, *key: str) -> AbstractAsyncContextManager[None]:
        """Serializes reconciles of one key; the lock is dropped once nobody needs it."""
        return self.locks.hold(key)


def _watch(
    registry: kopf.OperatorRegistry, resource: Resource, **kwargs: Any
) -> Callable[[Callable[..., Awaitable[None]]], Any]:
    return kopf.on.event(
        resource.group, resource.version, resource.plural, registry=registry, **kwargs
    )


def _live(type_: str | None, body: Any) -> Obj | None:
    return None if type_ == "DELETED" else dict(body)


def build_registry(
    client: KubeClient, config: OperatorConfig, signer: Signer | None = None
) -> kopf.OperatorRegistry:
    """A kopf registry with the handlers of the operators named in `config.only` (the
    `chains` signer needs its loaded `signer`)."""
    registry = kopf.OperatorRegistry()
    unknown = set(config.only) - set(OPERATORS)
    if unknown:
        raise ValueError(f"unknown operator(s) {sorted(unknown)}; choose from {OPERATORS}")
    if "integration" in config.only:
        _integration(registry, client, config)
    if "release" in config.only:
        _release(registry, client, config)
    if "build" in config.only:
        _build(registry, client, config)
    if "chains" in config.only:
        if signer is None:
            raise ValueError("the chains operator needs a loaded Signer")
        from konflux.controllers.chains import operator as chains_operator

        chains_operator.register(registry, signer)
    return registry


async def apply(client: KubeClient, actions: Actions) -> list[Obj]:
    """Creates, then patches, then deletes; returns the objects actually created."""
    created = []
    for create in actions.creates:
        obj = await client.create(create.resource, create.body)
        if obj is not None:
            created.append(obj)
    for p in actions.patches:
        await client.patch(p.resource, p.namespace, p.name, p.patch, p.status)
    for resource, namespace, name in actions.deletes:
        await client.delete(resource, namespace, name)
    return created


def _notify(config: OperatorConfig, event: str, created: list[Obj]) -> None:
    if config.observer is not None:
        for obj in created:
            config.observer(event, obj)


# --- integration-service -----------------------------------------------------------------------


async def reconcile_build_run(client: KubeClient, config: OperatorConfig, run: Obj) -> None:
    ns = namespace_of(run)
    async with config.lock("snapshots", ns):
        fresh = await client.get(c.PIPELINE_RUN, ns, name_of(run))
        if fresh is None:
            return
        components = await client.list(c.COMPONENT, ns)
        snapshots = await client.list(c.SNAPSHOT, ns)
        versioned = c.COMPONENT_VERSION_ANNOTATION in (fresh.get("metadata") or {}).get(
            "annotations", {}
        )
        groups = await client.list(c.COMPONENT_GROUP, ns) if versioned else []
        actions = integration.reconcile_build_run(
            fresh, components, snapshots, component_groups=groups
        )
        _notify(config, "snapshot", await apply(client, actions))


async def reconcile_snapshot(
    client: KubeClient, config: OperatorConfig, ns: str, name: str
) -> None:
    async with config.lock("snapshot", ns, name):
        snapshot = await client.get(c.SNAPSHOT, ns, name)
        if snapshot is None:
            return
        scenarios = await client.list(c.SCENARIO, ns)
        runs = await client.list(
            c.PIPELINE_RUN,
            ns,
            {c.PIPELINE_TYPE_LABEL: c.PIPELINE_TYPE_TEST, c.SNAPSHOT_LABEL: name},
        )
        taskruns = {
            name_of(r): await client.list(c.TASK_RUN, ns, {c.TEKTON_PIPELINE_RUN_LABEL: name_of(r)})
            for r in runs
            if (r.get("status") or {}).get("conditions")
        }
        plans = await client.list(c.RELEASE_PLAN, ns)
        releases = await client.list(c.RELEASE, ns, {c.SNAPSHOT_LABEL: name})
        actions = integration.reconcile_snapshot(
            snapshot, scenarios, runs, taskruns, plans, releases, gates=config.gates
        )
        created = await apply(client, actions)
        _notify(config, "test-or-release", created)


def _integration(
    registry: kopf.OperatorRegistry, client: KubeClient, config: OperatorConfig
) -> None:
    @_watch(
        registry,
        c.PIPELINE_RUN,
        labels={c.PIPELINE_TYPE_LABEL: c.PIPELINE_TYPE_BUILD},
        id="integration-build-run",
    )
    async def on_build_run(type: str | None, body: Any, **_: Any) -> None:
        run = _live(type, body)
        if run is not None:
            await reconcile_build_run(client, config, run)

    @_watch(registry, c.SNAPSHOT, id="integration-snapshot")
    async def on_snapshot(type: str | None, body: Any, **_: Any) -> None:
        snap = _live(type, body)
        if snap is not None:
            await reconcile_snapshot(client, config, namespace_of(snap), name_of(snap))

    @_watch(
        registry,
        c.PIPELINE_RUN,
        labels={c.PIPELINE_TYPE_LABEL: c.PIPELINE_TYPE_TEST},
        id="integration-test-run",
    )
    async def on_test_run(type: str | None, body: Any, **_: Any) -> None:
        run = _live(type, body)
        snapshot = labels_of(run or {}).get(c.SNAPSHOT_LABEL)
        if run is not None and snapshot:
            await reconcile_snapshot(client, config, namespace_of(run), snapshot)


# --- release-service -------------------------------------------------------------------------


async def reconcile_release(client: KubeClient, config: OperatorConfig, ns: str, name: str) -> None:
    async with config.lock("release", ns, name):
        rel = await client.get(c.RELEASE, ns, name)
        if rel is None:
            return
        spec = rel.get("spec") or {}
        plan = await client.get(c.RELEASE_PLAN, ns, str(spec.get("releasePlan", "")))
        target = str(((plan or {}).get("spec") or {}).get("target") or "")
        admissions = await client.list(c.RELEASE_PLAN_ADMISSION, target) if target else []
        match = release.match_admission(plan, admissions, config.gates) if plan else None
        rpa = match.admission if match else None
        policy_name = str(((rpa or {}).get("spec") or {}).get("policy") or "")
        policy = (
            await client.get(c.POLICY, namespace_of(rpa), policy_name)
            if rpa and policy_name
            else None
        )
        snapshot = await client.get(c.SNAPSHOT, ns, str(spec.get("snapshot", "")))
        selector = {c.RELEASE_NAME_LABEL: name, c.RELEASE_NAMESPACE_LABEL: ns}
        runs = await client.list(c.PIPELINE_RUN, ns, selector)
        if rpa is not None and namespace_of(rpa) != ns:
            runs += await client.list(c.PIPELINE_RUN, namespace_of(rpa), selector)
        binding = await client.get(c.ROLE_BINDING, ns, release.role_binding_name(rel))
        ec_defaults = await client.get(c.CONFIG_MAP, *c.EC_DEFAULTS)
        ctx = release.ReleaseContext(
            rel,
            plan,
            admissions,
            policy,
            snapshot,
            runs,
            binding,
            service_config=config.release_service_config,
            ec_defaults=ec_defaults,
        )
        created = await apply(client, release.reconcile_release(ctx, gates=config.gates))
        _notify(config, "managed-run", [o for o in created if o.get("kind") == "PipelineRun"])


async def reconcile_matching(
    client: KubeClient, plan_ns: str | None, target_ns: str | None, gates: Gates | None = None
) -> None:
    plans = await client.list(c.RELEASE_PLAN, plan_ns)
    admissions = await client.list(c.RELEASE_PLAN_ADMISSION)
    for plan in plans:
        await apply(client, release.reconcile_plan(plan, admissions, gates=gates))
    all_plans = await client.list(c.RELEASE_PLAN)
    # Each plan's match asked of the gates once, for every admission's status.
    matches = {
        (namespace_of(p), name_of(p)): release.match_admission(p, admissions, gates)
        for p in all_plans
    }
    for rpa in admissions:
        if target_ns is None or namespace_of(rpa) == target_ns:
            await apply(
                client,
                release.reconcile_admission(
                    rpa, all_plans, admissions, gates=gates, matches=matches
                ),
            )


def _release(registry: kopf.OperatorRegistry, client: KubeClient, config: OperatorConfig) -> None:
    @_watch(registry, c.RELEASE, id="release")
    async def on_release(type: str | None, body: Any, **_: Any) -> None:
        rel = _live(type, body)
        if rel is not None:
            await reconcile_release(client, config, namespace_of(rel), name_of(rel))

    @_watch(registry, c.PIPELINE_RUN, labels={c.RELEASE_NAME_LABEL: kopf.PRESENT}, id="release-run")
    async def on_release_run(type: str | None, body: Any, **_: Any) -> None:
        labels = labels_of(dict(body))
        await reconcile_release(
            client, config, labels[c.RELEASE_NAMESPACE_LABEL], labels[c.RELEASE_NAME_LABEL]
        )

    @_watch(registry, c.RELEASE_PLAN, id="release-plan")
    async def on_plan(body: Any, **_: Any) -> None:
        plan = dict(body)
        async with config.lock("matching"):
            await reconcile_matching(
                client, namespace_of(plan), (plan.get("spec") or {}).get("target"), config.gates
            )

    @_watch(registry, c.RELEASE_PLAN_ADMISSION, id="release-plan-admission")
    async def on_admission(body: Any, **_: Any) -> None:
        rpa = dict(body)
        async with config.lock("matching"):
            await reconcile_matching(
                client, (rpa.get("spec") or {}).get("origin"), namespace_of(rpa), config.gates
            )


# --- build-service / image-controller ----------------------------------------------------------


async def reconcile_component(
    client: KubeClient, config: OperatorConfig, ns: str, name: str
) -> None:
    async with config.lock("component", ns, name):
        comp = await client.get(c.COMPONENT, ns, name)
        if comp is None:
            return
        git = ((comp.get("spec") or {}).get("source") or {}).get("git") or {}
        repos = await client.list(c.PAC_REPOSITORY, ns)
        repo_name = build.repository_name(str(git.get("url", "")))
        world = build.BuildWorld(
            component=comp,
            service_account=await client.get(
                c.SERVICE_ACCOUNT, ns, build.service_account_name(name)
            ),
            definitions=await client.get(c.CONFIG_MAP, ns, build.definitions_name(name)),
            repository=next((r for r in repos if name_of(r) == repo_name), None),
        )
        actions = build.reconcile_component(world)
        await apply(client, actions)
        if config.pac_dir is not None and any(x.resource == c.CONFIG_MAP for x in actions.creates):
            target = config.pac_dir / ns / name / ".tekton"
            target.mkdir(parents=True, exist_ok=True)
            for fname, text in build.pac_definitions(comp).items():
                (target / fname).write_text(text)


def _build(registry: kopf.OperatorRegistry, client: KubeClient, config: OperatorConfig) -> None:
    @_watch(registry, c.COMPONENT, id="build-component")
    async def on_component(type: str | None, body: Any, **_: Any) -> None:
        comp = _live(type, body)
        if comp is not None:
            await reconcile_component(client, config, namespace_of(comp), name_of(comp))

    @_watch(registry, c.IMAGE_REPOSITORY, id="image-repository")
    async def on_image_repository(type: str | None, body: Any, **_: Any) -> None:
        repo = _live(type, body)
        if repo is None:
            return
        components = await client.list(c.COMPONENT, namespace_of(repo))
        await apply(client, build.reconcile_image_repository(repo, components, config.registry))


# --- running -----------------------------------------------------------------------------------


def operator_settings(standalone: bool, peering_name: str) -> kopf.OperatorSettings:
    settings = kopf.OperatorSettings()
    # The controllers watch a fixed list of resources; no CRD scanning, no k8s Events.
    settings.scanning.disabled = True
    settings.posting.enabled = False
    settings.peering.standalone = standalone
    settings.peering.name = peering_name
    settings.peering.mandatory = not standalone
    settings.watching.server_timeout = 300
    return settings


# The resource each operator lists first: reading it proves the API is reachable, trusted,
# and lets us in, before kopf starts watching (whose failures are retried, not reported).
PREFLIGHT = {
    "integration": c.SNAPSHOT,
    "release": c.RELEASE,
    "build": c.COMPONENT,
    "chains": c.PIPELINE_RUN,
}


async def preflight(
    client: KubeClient, only: Collection[str], namespaces: Collection[str] = ()
) -> None:
    """Raise the typed error (TLS, 401, 403 naming the permission) the operators would meet."""
    for operator in only:
        for ns in list(namespaces) or [None]:
            await client.list(PREFLIGHT[operator], ns, limit=1)


async def run(
    cluster: ClusterConfig,
    config: OperatorConfig,
    *,
    namespaces: Collection[str] = (),
    standalone: bool = False,
    peering_name: str = "konflux-controllers",
    priority: int = 0,
    stop_flag: asyncio.Event | None = None,
    ready_flag: asyncio.Event | None = None,
    keepalive: bool = True,
) -> None:
    """Run the configured operators until `stop_flag` is set (or forever).

    kopf logs in with `cluster` too (`KopfLogin`), so its watches and our reads and writes
    use one configuration. `keepalive=False` opens a connection per request (the emulator).
    The `chains` signer first loads its key and configuration; without them it does not
    start (ControllerError).
    """
    client = KubeClient(cluster, keepalive=keepalive)
    signer = None
    if "chains" in config.only:
        from konflux.controllers.chains.operator import Signer

        try:
            signer = await Signer.load(client, config.chains, config.observer)
        except BaseException:
            await client.close()
            raise
    registry = build_registry(client, config, signer)
    KopfLogin(cluster).register(registry)
    try:
        await kopf.operator(
            registry=registry,
            settings=operator_settings(standalone, peering_name),
            clusterwide=not namespaces,
            namespaces=list(namespaces),
            standalone=standalone,
            peering_name=None if standalone else peering_name,
            priority=priority,
            stop_flag=stop_flag,
            ready_flag=ready_flag,
        )
    finally:
        if signer is not None:
            await signer.close()
        await client.close()
