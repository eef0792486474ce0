"""Helpers for the console tests: an emulated cluster with RBAC and a served console, in a thread.

The browser tests are synchronous (Selenium); the cluster and the console run on the
shared loop-on-a-thread helper (`konflux.testing.LoopThread`, in `ServedConsole`), and a
test changes the cluster with `served.call(coroutine_function)`.
"""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from konflux.console.access import ClusterAccess
from konflux.console.catalogue import RuleCatalogue
from konflux.console.server import make_app, start
from konflux.kube.client import KubeClient
from konflux.kube.resources import CLUSTER_ROLE, CLUSTER_ROLE_BINDING, ROLE, ROLE_BINDING, Resource
from konflux.testing import (
    ApiServerAuth,
    LocalCluster,
    LoopThread,
    UserInfo,
    dump_entry,  # noqa: F401 - the console tests' vocabulary
    dump_objects,  # noqa: F401
    k8s_object,  # noqa: F401
    load_objects,
    small_world,  # noqa: F401
    violation_report,  # noqa: F401
)
from konflux.testing._console import (  # noqa: F401 - the small world's names
    APP,
    DIGEST,
    EXAMPLES,
    MANAGED,
    MANAGED_RUN,
    RELEASE_FAILED,
    RELEASE_OK,
    SNAP_FAILED,
    SNAP_OK,
    TENANT,
)

Obj = dict[str, Any]


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


@dataclass
class _TlsCluster:
    """What `ServedConsole.call` hands a test when the emulator is behind TLS."""

    client: KubeClient  # as a cluster admin
    kubeconfig_for: Callable[[str], Path]  # a kubeconfig file for a user's token
    server: Any


class ServedConsole:
    """A LocalCluster (no controllers) loaded with objects, and the console over it."""

    def __init__(
        self,
        dump: list[Obj],
        *,
        rbac: list[tuple[Resource, Obj]] = (),  # type: ignore[assignment]
        users: dict[str, tuple[str, ...]] | None = None,
        console_as: str | None = None,
        poll_ms: int = 500,
        allow_local: bool = True,
        pki: Any = None,
        vsa_keys: tuple[Any, ...] = (),
    ) -> None:
        """`pki` (the `kube_pki` fixture) serves the emulator over TLS; `console_as` then
        names the user whose token the console reads with (needs `pki`)."""
        self.allow_local, self.pki, self.vsa_keys = allow_local, pki, vsa_keys
        self.dump, self.rbac, self.poll_ms = dump, list(rbac), poll_ms
        self.users = users if users is not None else {"admin": ("system:masters",)}
        self.console_as = console_as  # the user whose token the console reads with
        self.tokens: dict[str, str] = {}
        self.url = ""
        self.access: ClusterAccess
        self.cluster: LocalCluster
        self._loop: LoopThread | None = None
        self._stack = AsyncExitStack()  # the cluster, the console's client and its server

    def __enter__(self) -> ServedConsole:
        # The one loop-on-a-thread helper; `_start` returns once the console serves, and
        # any failure before that is re-raised here by `LoopThread.run`.
        self._loop = LoopThread("served-console")
        try:
            self._loop.run(self._start(), timeout=30)
        except BaseException:
            self._loop.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is None:
            return
        try:
            self._loop.run(self._stack.aclose(), timeout=30)
        finally:
            self._loop.stop()

    async def _start(self) -> None:
        try:
            await self._open()
        except BaseException:
            await self._stack.aclose()
            raise

    async def _open(self) -> None:
        stack = self._stack
        if self.pki is None:
            cluster = await stack.enter_async_context(LocalCluster())
            await self._serve(cluster, ApiServerAuth.install(cluster.api), cluster.config)
            return
        # The emulator behind TLS (tests/fixtures/kube_api.py): credentials travel only over
        # TLS, so a console reading with a ServiceAccount token meets RBAC only here.
        from konflux.kube.config import load_config
        from tests.fixtures.kube_api import TlsApiServer, b64, kubeconfig

        server = await stack.enter_async_context(TlsApiServer(self.pki))
        auth = ApiServerAuth.install(server.api)
        admin = secrets.token_urlsafe(16)
        server.tokens[admin] = "loader"
        auth.add_token(admin, UserInfo("loader", ("system:masters",)))

        def kubeconfig_for(token: str) -> Path:
            cluster = {"server": server.url, "certificate-authority-data": b64(self.pki.ca_pem)}
            path = self.pki.root / f"kubeconfig-{secrets.token_hex(4)}"
            return kubeconfig(path, cluster, {"token": token})

        admin_config = load_config(kubeconfig_for(admin))
        loader = _TlsCluster(KubeClient(admin_config), kubeconfig_for, server)
        stack.push_async_callback(loader.client.close)
        await self._serve(loader, auth, admin_config)

    async def _serve(self, cluster: Any, auth: ApiServerAuth, config: Any) -> None:
        self.cluster = cluster
        await load_objects(cluster.client, self.dump)
        for res, obj in self.rbac:
            await cluster.client.create(res, obj)
        for name, groups in self.users.items():
            self.tokens[name] = secrets.token_urlsafe(16)
            auth.add_token(self.tokens[name], UserInfo(name, groups))
            if isinstance(cluster, _TlsCluster):
                cluster.server.tokens[self.tokens[name]] = name
        if self.console_as:
            from konflux.kube.config import load_config

            config = load_config(cluster.kubeconfig_for(self.tokens[self.console_as]))
        self.access = ClusterAccess(
            KubeClient(config, keepalive=False), read_ttl=0.2, review_ttl=0.2
        )
        app = make_app(
            self.access,
            RuleCatalogue(allow_local=self.allow_local),
            secure=False,
            poll_ms=self.poll_ms,
            vsa_keys=self.vsa_keys,
        )
        runner = await start(app, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        self._stack.push_async_callback(runner.cleanup)

    def call(self, fn: Callable[[LocalCluster], Awaitable[Any]], timeout: float = 30) -> Any:
        """Run `fn(cluster)` on the cluster's loop and return its result."""
        if self._loop is None:
            raise RuntimeError("ServedConsole.call outside its `with` block: nothing is served")
        return self._loop.run(fn(self.cluster), timeout)


READ_EVERYTHING = [
    {
        "apiGroups": ["appstudio.redhat.com", "tekton.dev"],
        "resources": ["*"],
        "verbs": ["get", "list", "watch"],
    }
]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(
    served: ServedConsole,
    path: str,
    user: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
) -> tuple[int, str, dict[str, str]]:
    """(status, body, headers) of one request to the console, as `user` (bearer header)."""
    hdrs = {"Accept": "text/html", **(headers or {})}
    if user is not None:
        hdrs["Authorization"] = f"Bearer {served.tokens.get(user, user)}"
    request = urllib.request.Request(served.url + path, headers=hdrs, data=data)
    try:
        with _opener.open(request, timeout=30) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)
