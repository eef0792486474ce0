"""Helpers for the console tests: an emulated cluster with RBAC and a served console, in a thread.

The browser tests are synchronous (Selenium); the cluster and the console run on an
event loop in a background thread (`ServedConsole`), and a test changes the cluster
with `served.call(coroutine_function)`.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any

from konflux.console.access import ClusterAccess
from konflux.console.catalogue import RuleCatalogue
from konflux.console.server import make_app, start
from konflux.controllers.constants import Resource
from konflux.controllers.emulator import LocalCluster
from konflux.controllers.emulator_auth import (
    CLUSTER_ROLE,
    CLUSTER_ROLE_BINDING,
    ROLE,
    ROLE_BINDING,
    ApiServerAuth,
    UserInfo,
)
from konflux.controllers.kube import KubeClient

Obj = dict[str, Any]


def dump_objects(api: Any) -> list[Obj]:
    """Every live object of an emulator, with the resource it was stored under."""
    out = []
    for (res, ns, _name), obj in api.objects.items():
        if obj.deleted:
            continue
        out.append(
            {
                "group": res.group or "",
                "version": res.version,
                "plural": res.plural,
                "namespaced": ns is not None,
                "object": obj.raw,
            }
        )
    return out


async def load_objects(client: KubeClient, dump: list[Obj]) -> None:
    for entry in dump:
        obj = entry["object"]
        res = Resource(
            entry["group"], entry["version"], entry["plural"], obj["kind"], entry["namespaced"]
        )
        await client.create(res, obj)


def role(ns: str, name: str, rules: list[Obj]) -> tuple[Resource, Obj]:
    return ROLE, {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": ns},
        "rules": rules,
    }


def cluster_role(name: str, rules: list[Obj]) -> tuple[Resource, Obj]:
    return CLUSTER_ROLE, {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": rules,
    }


def binding(
    ns: str | None, name: str, role_kind: str, role_name: str, subjects: list[Obj]
) -> tuple[Resource, Obj]:
    kind = "RoleBinding" if ns else "ClusterRoleBinding"
    meta: Obj = {"name": name, **({"namespace": ns} if ns else {})}
    return (ROLE_BINDING if ns else CLUSTER_ROLE_BINDING), {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
        "subjects": subjects,
    }


def user(name: str) -> Obj:
    return {"kind": "User", "name": name, "apiGroup": "rbac.authorization.k8s.io"}


class ServedConsole:
    """A LocalCluster (no controllers) loaded with objects, and the console over it."""

    def __init__(
        self,
        dump: list[Obj],
        *,
        rbac: list[tuple[Resource, Obj]] = (),  # type: ignore[assignment]
        users: dict[str, tuple[str, ...]] | None = None,
        console_token: str | None = None,
        poll_ms: int = 500,
    ) -> None:
        self.dump, self.rbac, self.poll_ms = dump, list(rbac), poll_ms
        self.users = users if users is not None else {"admin": ("system:masters",)}
        self.console_token = console_token
        self.tokens: dict[str, str] = {}
        self.url = ""
        self.access: ClusterAccess
        self.cluster: LocalCluster
        self._loop = asyncio.new_event_loop()
        self._ready: Future[None] = Future()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ServedConsole:
        self._thread.start()
        self._ready.result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:  # surfaced to the test through `_ready`
            if not self._ready.done():
                self._ready.set_exception(exc)
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with LocalCluster() as cluster:
            self.cluster = cluster
            auth = ApiServerAuth.install(cluster.api)
            await load_objects(cluster.client, self.dump)
            for res, obj in self.rbac:
                await cluster.client.create(res, obj)
            for name, groups in self.users.items():
                self.tokens[name] = secrets.token_urlsafe(16)
                auth.add_token(self.tokens[name], UserInfo(name, groups))
            info = cluster.info
            if self.console_token:
                import kopf

                info = kopf.ConnectionInfo(server=info.server, token=self.console_token)
            self.access = ClusterAccess(KubeClient(info), read_ttl=0.2, review_ttl=0.2)
            app = make_app(
                self.access, RuleCatalogue(allow_local=True), secure=False, poll_ms=self.poll_ms
            )
            runner = await start(app, "127.0.0.1", 0)
            self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
            self._ready.set_result(None)
            try:
                await self._stop.wait()
            finally:
                await runner.cleanup()

    def call(self, fn: Callable[[LocalCluster], Awaitable[Any]], timeout: float = 30) -> Any:
        """Run `fn(cluster)` on the cluster's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(fn(self.cluster), self._loop).result(timeout)
