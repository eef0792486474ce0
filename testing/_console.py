"""The web console over an emulated cluster, and the small world its tests and bench load.

- `local_console`: serve the console over a `LocalCluster` (TokenReview and RBAC
  answered by the emulator), with a fresh admin token; `simulation_console` is
  the `konflux dev simulate --console` hook built on it.
- `small_world`: one tenant, one managed namespace, a passed and a failed
  Release with the failed run's report (`violation_report`), as objects ready
  for `load_objects`; `dump_objects` reads an emulator's objects back.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from konflux.console.access import ClusterAccess
from konflux.console.catalogue import RuleCatalogue
from konflux.console.server import make_app, start
from konflux.kube.client import KubeClient
from konflux.kube.resources import Resource
from konflux.testing._world import resource_object

Obj = dict[str, Any]


@dataclass(frozen=True)
class LocalConsole:
    """A console served over an emulated cluster, and the token that logs in as its admin."""

    url: str
    token: str
    user: str

    @property
    def login_hint(self) -> str:
        return f"console: {self.url}  (log in as {self.user} with the token {self.token})"


@asynccontextmanager
async def local_console(
    cluster: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    user: str = "developer",
) -> AsyncIterator[LocalConsole]:
    """Serve the console over a `LocalCluster` (TokenReview and RBAC answered by its emulator).

    `user` gets a fresh token and the cluster-admin group; the console reads with a client
    that has no credentials, which the emulator lets do anything (like the controllers).
    """
    from konflux.testing._auth import ApiServerAuth, UserInfo

    auth = cluster.api.auth or ApiServerAuth.install(cluster.api)
    token = secrets.token_urlsafe(24)
    auth.add_token(token, UserInfo(user, ("system:masters",)))
    # A connection per request, as LocalCluster's own client: kmock drops idle connections.
    client = KubeClient(cluster.config, keepalive=False)
    access = ClusterAccess(client, read_ttl=0.5, review_ttl=5.0)
    app = make_app(access, RuleCatalogue(allow_local=True), secure=False, poll_ms=1500)
    runner = await start(app, host, port)
    bound = runner.addresses[0][1] if port == 0 else port
    try:
        yield LocalConsole(f"http://{host}:{bound}/", token, user)
    finally:
        await runner.cleanup()


def simulation_console(
    port: int, log: Callable[[str], None], until_stopped: Callable[[], Awaitable[None]]
) -> Callable[[Any], Any]:
    """The `dev simulate --console` hook: serve while the flow runs, then until stopped."""
    from konflux.console.views import release_badge
    from konflux.controllers import constants as c

    @asynccontextmanager
    async def hook(cluster: Any) -> AsyncIterator[None]:
        async with local_console(cluster, port=port) as served:
            log(served.login_hint)
            yield
            for release in cluster.api.live(c.RELEASE):
                state = release_badge(release)
                name = release["metadata"]["name"]
                log(f"console: Release {name} {state.word.lower()}: {state.detail}".rstrip(": "))
            log(f"console: the flow finished; still serving {served.url} (Ctrl-C stops)")
            await until_stopped()

    return hook


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


# --- a small synthetic world: one tenant, one managed namespace, a failed Release -------------

TENANT, MANAGED, APP = "team-a", "rel-managed", "shop"
RELEASE_OK, RELEASE_FAILED = "shop-1-ok", "shop-2-failed"
SNAP_OK, SNAP_FAILED = "snap-one", "snap-two"
MANAGED_RUN = f"{RELEASE_FAILED}-managed-0"
DIGEST = "sha256:" + "ab" * 32
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "rego"


def k8s_object(res: Resource, name: str, ns: str, spec: Obj | None = None, **extra: Any) -> Obj:
    """`resource_object` with a creationTimestamp (`created`), more `metadata`, and other
    top-level fields (`status`, ...) as keywords."""
    meta = {"creationTimestamp": extra.pop("created", ""), **extra.pop("metadata", {})}
    body = resource_object(res, name, ns, spec, **meta)
    body.update(extra)
    return body


def dump_entry(res: Resource, obj: Obj) -> Obj:
    """`obj` as `dump_objects` lists it and `load_objects` reads it: with its resource."""
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
