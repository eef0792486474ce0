"""An in-memory Kubernetes API for tests, benchmarks and `konflux dev simulate`.

kmock's `KubernetesEmulator` stores objects as plain JSON merges. The controllers rely on
a few API-server behaviours it leaves out, added here rather than bent into the
controllers: `generateName`, `uid`, `resourceVersion` and `creationTimestamp` on create,
a new `resourceVersion` on every write, and `labelSelector` (equality terms) on list and
watch; and a bounded request log (kmock's grows without end and is scanned per
request). Requires the `kmock` package.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import aiohttp.web
from kmock import KubernetesEmulator
from kmock import action as api_action

from konflux.controllers import constants as c
from konflux.controllers.crd_validation import admit, shipped_crds
from konflux.controllers.operators import OperatorConfig, run
from konflux.kube.client import KubeClient
from konflux.kube.config import ClusterConfig
from konflux.kube.resources import Resource

_versions = itertools.count(1)


def _selector(params: Any) -> dict[str, str]:
    raw = (params or {}).get("labelSelector") or ""
    terms = [t for t in raw.split(",") if t]
    result = {}
    for term in terms:
        key, _, value = term.partition("=")
        result[key.strip()] = value.lstrip("=").strip()
    return result


def _matches(obj: Any, selector: dict[str, str]) -> bool:
    labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


class ApiServerEmulator(KubernetesEmulator):
    """`KubernetesEmulator` with the API-server metadata behaviours the controllers need."""

    # Bearer tokens, TokenReview/SubjectAccessReview and RBAC (`_auth.ApiServerAuth`),
    # when a test or `dev simulate --console` installs them.
    auth: Any = None

    async def _handle(self, request: Any) -> aiohttp.web.StreamResponse:
        if self.auth is not None and (answer := await self.auth.answer(request)) is not None:
            return answer
        # kmock keeps every request for assertions and matches each new one by scanning
        # that log, which makes a long run quadratic; nothing here asserts on requests.
        del self._requests[:-1]
        if request.resource is not None and isinstance(request.data, dict):
            meta = request.data.setdefault("metadata", {})
            if request.action == api_action.CREATE:
                if not meta.get("name") and meta.get("generateName"):
                    meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
                meta.setdefault("uid", str(uuid.uuid4()))
                meta.setdefault(
                    "creationTimestamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                )
                if request.namespace and not meta.get("namespace"):
                    meta["namespace"] = request.namespace
                meta["resourceVersion"] = str(next(_versions))
            elif request.action == api_action.UPDATE and request.name is not None:
                meta["resourceVersion"] = str(next(_versions))
        return await super()._handle(request)

    async def _serve_list(self, request: Any) -> Any:
        result = await super()._serve_list(request)
        selector = _selector(request.params)
        if selector:
            result["items"] = [o for o in result["items"] if _matches(o, selector)]
        result["metadata"]["resourceVersion"] = str(next(_versions))
        return result

    async def _serve_watch(self, request: Any) -> AsyncIterator[Any]:
        selector = _selector(request.params)
        async for event in super()._serve_watch(request):
            if (
                not selector
                or not isinstance(event, dict)
                or _matches(event.get("object"), selector)
            ):
                yield event

    def declare(self, resources: Iterable[Resource]) -> None:
        """Serve `resources` plus what kopf waits for before it watches anything."""
        for res in [*resources, c.CRD, c.NAMESPACE]:
            info = self.resources[f"{res.api_version}/{res.plural}"]
            info.kind = res.kind
            info.namespaced = res.namespaced
            info.verbs = {"list", "watch", "get", "create", "patch", "delete", "update"}
            if res.group:
                info.subresources = {"status"}

    def schema_violations(self) -> list[str]:
        """What the API server would refuse or prune in the stored custom resources: each
        object checked against its CRD in deploy/crds (status included), as `kind ns/name:
        problem` lines. Empty when every object is as upstream's schema has it."""
        found = []
        crds = shipped_crds()
        for (res, ns, name), obj in self.objects.items():
            raw = obj.raw
            if obj.deleted or (res.group, raw.get("kind")) not in crds:
                continue
            verdict = admit(raw, old=raw, crds=crds)
            for problem in [*verdict.errors, *verdict.warnings]:
                found.append(f"{raw.get('kind')} {ns}/{name}: {problem}")
        return sorted(found)

    def live(self, resource: Resource, namespace: str | None = None) -> list[dict[str, Any]]:
        """Current objects of `resource` (optionally in one namespace), as plain dicts."""
        out = []
        for (res, ns, _name), obj in self.objects.items():
            if obj.deleted or res.plural != resource.plural or res.group != resource.group:
                continue
            if namespace is None or ns == namespace:
                out.append(obj.raw)
        return out


ALL_RESOURCES = [
    c.APPLICATION,
    c.COMPONENT,
    c.COMPONENT_GROUP,
    c.NUDGE_CONFIG,
    c.SNAPSHOT,
    c.IMAGE_REPOSITORY,
    c.SCENARIO,
    c.RELEASE_SERVICE_CONFIG,
    c.INTERNAL_REQUEST,
    c.RELEASE,
    c.RELEASE_PLAN,
    c.RELEASE_PLAN_ADMISSION,
    c.POLICY,
    c.PIPELINE_RUN,
    c.TASK_RUN,
    c.PAC_REPOSITORY,
    c.SERVICE_ACCOUNT,
    c.CONFIG_MAP,
    c.ROLE_BINDING,
]
# Served too, for the chains signer (its key) and verify-conforma's `k8s://` key references;
# the operators never read Secrets.
SIGNER_RESOURCES = [c.SECRET]


class LocalCluster:
    """An emulated API server with the controllers running against it (async context).

    Used by the tests, `bench/controllers.py` and `konflux dev simulate`:

        async with LocalCluster() as cluster:
            await cluster.start(OperatorConfig())
            await cluster.client.create(c.APPLICATION, {...})
    """

    def __init__(self) -> None:
        self.api = ApiServerEmulator()
        self._server: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self.client: KubeClient

    async def __aenter__(self) -> LocalCluster:
        from kmock import Server

        await self.api.__aenter__()
        self.api.declare([*ALL_RESOURCES, *SIGNER_RESOURCES])
        self._server = Server(self.api)
        await self._server.__aenter__()
        self.config = ClusterConfig.for_server(str(self._server.url))
        # A connection per request: kmock drops idle connections across operator restarts,
        # and a pooled one it dropped would hang the next request.
        self.client = KubeClient(self.config, keepalive=False)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
        await self.client.close()
        await self._server.__aexit__(None, None, None)
        await self.api.__aexit__(None, None, None)

    async def start(self, config: OperatorConfig) -> None:
        """Start the operators in this event loop and wait until they watch."""
        self._stop, ready = asyncio.Event(), asyncio.Event()
        self._task = asyncio.create_task(
            run(
                self.config,
                config,
                standalone=True,
                stop_flag=self._stop,
                ready_flag=ready,
                keepalive=False,
            )
        )
        waiting = asyncio.ensure_future(ready.wait())
        done, _ = await asyncio.wait(
            {waiting, self._task}, timeout=10, return_when="FIRST_COMPLETED"
        )
        if self._task in done:  # the operators could not start: say why
            waiting.cancel()
            task, self._task = self._task, None
            task.result()
            raise RuntimeError("the operators stopped before they were ready")
        if waiting not in done:
            waiting.cancel()
            raise TimeoutError("the operators were not ready within 10s")

    async def stop(self) -> None:
        """Stop the operators (a controller restart is `stop()` then `start()`)."""
        if self._task is None or self._stop is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(self._task, 10)
        finally:
            self._task = None

    async def wait_for(
        self, what: str, check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.01
    ) -> Any:
        """Poll `check` until it returns a truthy value; fail naming `what` on timeout."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = check()
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            await asyncio.sleep(interval)
