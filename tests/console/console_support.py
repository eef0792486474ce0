"""Helpers for the console tests: an emulated cluster with RBAC and a served console, in a thread.

The browser tests are synchronous (Selenium); the cluster and the console run on an
event loop in a background thread (`ServedConsole`), and a test changes the cluster
with `served.call(coroutine_function)`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from konflux.console.access import ClusterAccess
from konflux.console.catalogue import RuleCatalogue
from konflux.console.server import make_app, start
from konflux.controllers.emulator import LocalCluster
from konflux.controllers.emulator_auth import (
    CLUSTER_ROLE,
    CLUSTER_ROLE_BINDING,
    ROLE,
    ROLE_BINDING,
    ApiServerAuth,
    UserInfo,
)
from konflux.kube.client import KubeClient
from konflux.kube.resources import Resource

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
        if self.pki is None:
            async with LocalCluster() as cluster:
                await self._serve(cluster, ApiServerAuth.install(cluster.api), cluster.config)
            return
        # The emulator behind TLS (tests/fixtures/kube_api.py): credentials travel only over
        # TLS, so a console reading with a ServiceAccount token meets RBAC only here.
        from konflux.kube.config import load_config
        from tests.fixtures.kube_api import TlsApiServer, b64, kubeconfig

        async with TlsApiServer(self.pki) as server:
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
            try:
                await self._serve(loader, auth, admin_config)
            finally:
                await loader.client.close()

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
        self._ready.set_result(None)
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def call(self, fn: Callable[[LocalCluster], Awaitable[Any]], timeout: float = 30) -> Any:
        """Run `fn(cluster)` on the cluster's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(fn(self.cluster), self._loop).result(timeout)


# --- a small synthetic world: one tenant, one managed namespace, a failed Release -------------

TENANT, MANAGED, APP = "team-a", "rel-managed", "shop"
RELEASE_OK, RELEASE_FAILED = "shop-1-ok", "shop-2-failed"
SNAP_OK, SNAP_FAILED = "snap-one", "snap-two"
MANAGED_RUN = f"{RELEASE_FAILED}-managed-0"
DIGEST = "sha256:" + "ab" * 32
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "rego"


def k8s_object(res: Resource, name: str, ns: str, spec: Obj | None = None, **extra: Any) -> Obj:
    meta = {"name": name, "namespace": ns, "creationTimestamp": extra.pop("created", "")}
    meta.update(extra.pop("metadata", {}))
    body: Obj = {"apiVersion": res.api_version, "kind": res.kind, "metadata": meta}
    if spec is not None:
        body["spec"] = spec
    body.update(extra)
    return body


def dump_entry(res: Resource, obj: Obj) -> Obj:
    return {
        "group": res.group,
        "version": res.version,
        "plural": res.plural,
        "namespaced": res.namespaced,
        "object": obj,
    }


def violation_report(
    *, with_info: bool = False, sources: list[str] | None = None, message: str = ""
) -> str:
    """A JSON report as `validate image --output json` writes it: `web` misses a label."""
    from datetime import UTC, datetime

    from konflux.engine.output.documents import report_document
    from konflux.engine.report import Outcome, Report, Result, TargetReport

    meta: Obj = {"code": "image.required_labels", "term": "vendor"}
    if with_info:
        meta |= {"title": "Labels are set (from the report)", "solution": "Set them, says --info."}
    policy = {"sources": [{"name": "release", "policy": sources or [str(EXAMPLES / "image")]}]}
    report = Report(
        targets=[
            TargetReport(
                "web",
                Outcome(
                    violations=[Result(message or 'The required label "vendor" is missing', meta)],
                    warnings=[
                        Result(
                            "Provenance will be required",
                            {"code": "image.provenance_present", "effective_on": "2099-01-01"},
                        )
                    ],
                ),
                image=f"registry.local/team-a/web@{DIGEST}",
                signatures=[{"keyid": "k1", "sig": "MEUC"}],
            ),
            TargetReport(
                "api",
                Outcome(successes=[Result("Pass", {"code": "image.allowed_builder"})]),
                image=f"registry.local/team-a/api@{DIGEST}",
            ),
        ],
        policy=policy,
        effective_time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        kind="image",
        key="-----BEGIN PUBLIC KEY-----",
        info=with_info,
    )
    return json.dumps(report_document(report))


def small_world(report_json: str | None = None) -> list[Obj]:
    """Objects of a tenant with two Snapshots and Releases (one failed by policy)."""
    from konflux.controllers import constants as c

    report_json = report_json if report_json is not None else violation_report()
    cond = lambda t, s, r, m="", at="2026-01-01T00:00:00Z": {  # noqa: E731
        "type": t, "status": s, "reason": r, "message": m, "lastTransitionTime": at,
    }  # fmt: skip
    objs = [
        (c.APPLICATION, k8s_object(c.APPLICATION, APP, TENANT, {"displayName": "Shop"})),
        (c.APPLICATION, k8s_object(c.APPLICATION, "other-app", TENANT, {"displayName": "Other"})),
        (
            c.COMPONENT,
            k8s_object(
                c.COMPONENT,
                "web",
                TENANT,
                {"application": APP, "source": {"git": {"url": "https://git.example/web"}}},
                status={"lastPromotedImage": f"registry.local/team-a/web@{DIGEST}"},
            ),
        ),
        (
            c.RELEASE_PLAN,
            k8s_object(
                c.RELEASE_PLAN,
                "to-prod",
                TENANT,
                {"application": APP, "target": MANAGED},
                status={"releasePlanAdmission": {"name": f"{MANAGED}/shop-rpa", "active": True}},
            ),
        ),
        (
            c.RELEASE_PLAN_ADMISSION,
            k8s_object(
                c.RELEASE_PLAN_ADMISSION,
                "shop-rpa",
                MANAGED,
                {"applications": [APP], "origin": TENANT, "policy": "prod-policy"},
            ),
        ),
        (
            c.POLICY,
            k8s_object(
                c.POLICY,
                "prod-policy",
                MANAGED,
                {
                    "description": "Production policy",
                    "sources": [
                        {
                            "name": "release",
                            "policy": [str(EXAMPLES / "image"), str(EXAMPLES / "lib")],
                            "config": {"exclude": ["image.allowed_builder"]},
                        }
                    ],
                },
            ),
        ),
    ]
    for snap, created, passed in (
        (SNAP_OK, "2026-01-01T01:00:00Z", True),
        (SNAP_FAILED, "2026-01-02T01:00:00Z", True),
    ):
        objs.append(
            (
                c.SNAPSHOT,
                k8s_object(
                    c.SNAPSHOT,
                    snap,
                    TENANT,
                    {
                        "application": APP,
                        "components": [
                            {"name": "web", "containerImage": f"registry.local/team-a/web@{DIGEST}"}
                        ],
                    },
                    created=created,
                    metadata={
                        "labels": {c.COMPONENT_LABEL: "web"},
                        "annotations": {
                            c.TEST_STATUS_ANNOTATION: json.dumps(
                                [
                                    {
                                        "scenario": "conforma",
                                        "status": "TestPassed" if passed else "TestFail",
                                        "details": "ok",
                                        "testPipelineRunName": f"{snap}-conforma",
                                    }
                                ]
                            )
                        },
                    },
                    status={
                        "conditions": [
                            cond(c.CONDITION_TEST_SUCCEEDED, "True", "Passed"),
                            cond(c.CONDITION_AUTO_RELEASED, "True", "AutoReleased"),
                        ]
                    },
                ),
            )
        )
    objs.append(
        (
            c.RELEASE,
            k8s_object(
                c.RELEASE,
                RELEASE_OK,
                TENANT,
                {"snapshot": SNAP_OK, "releasePlan": "to-prod"},
                created="2026-01-01T02:00:00Z",
                status={
                    "target": MANAGED,
                    "conditions": [cond(c.CONDITION_RELEASED, "True", "Succeeded")],
                },
            ),
        )
    )
    objs.append(
        (
            c.RELEASE,
            k8s_object(
                c.RELEASE,
                RELEASE_FAILED,
                TENANT,
                {"snapshot": SNAP_FAILED, "releasePlan": "to-prod"},
                created="2026-01-02T02:00:00Z",
                status={
                    "target": MANAGED,
                    "managedProcessing": {"pipelineRun": f"{MANAGED}/{MANAGED_RUN}"},
                    "conditions": [
                        cond(c.CONDITION_VALIDATED, "True", "Succeeded", at="2026-01-02T02:00:01Z"),
                        cond(
                            c.CONDITION_RELEASED,
                            "False",
                            "Failed",
                            "Release processing failed on managed pipelineRun",
                            at="2026-01-02T02:05:00Z",
                        ),
                    ],
                },
            ),
        )
    )
    objs.append(
        (
            c.PIPELINE_RUN,
            k8s_object(
                c.PIPELINE_RUN,
                MANAGED_RUN,
                MANAGED,
                {"pipelineRef": {"name": "release"}},
                metadata={"labels": {c.PIPELINE_TYPE_LABEL: c.PIPELINE_TYPE_MANAGED}},
                status={"conditions": [cond(c.SUCCEEDED_CONDITION, "False", "Failed")]},
            ),
        )
    )
    objs.append(
        (
            c.TASK_RUN,
            k8s_object(
                c.TASK_RUN,
                f"{MANAGED_RUN}-verify",
                MANAGED,
                {},
                metadata={"labels": {"tekton.dev/pipelineRun": MANAGED_RUN}},
                status={
                    "results": [
                        {
                            "name": "TEST_OUTPUT",
                            "value": json.dumps(
                                {"result": "FAILURE", "failures": 1, "warnings": 1, "successes": 1}
                            ),
                        },
                        {"name": "REPORT_JSON", "value": report_json},
                    ]
                },
            ),
        )
    )
    return [dump_entry(res, obj) for res, obj in objs]


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
