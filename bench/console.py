"""Web console: page render time for a big Application, and API requests per page view.

Prints:
- time to serve the Application page of an application with 500 Snapshots and 100
  Releases (p50/p99 over 100 views, HTTP to the console on loopback), with the read
  cache expired before every view (each view lists from the emulated API server) and
  with it warm;
- API requests the console makes per page view, per page: for a user's first view
  (TokenReview + SubjectAccessReviews + reads), for a returning user once the read
  cache expired (reads only), and within the read cache's lifetime (none).
Run: python3 bench/console.py
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import aiohttp

from konflux.console.access import ClusterAccess
from konflux.console.catalogue import RuleCatalogue
from konflux.console.server import make_app, start
from konflux.controllers import constants as c
from konflux.kube.client import KubeClient
from konflux.testing import ApiServerAuth, LocalCluster, UserInfo, load_objects, small_world

NS, APP, MANAGED = "team-a", "shop", "rel-managed"
SNAPSHOTS, RELEASES, VIEWS = 500, 100, 100


def _meta(name: str, created: str, **extra: object) -> dict:
    return {"name": name, "namespace": NS, "creationTimestamp": created, **extra}


def big_application() -> list[tuple[c.Resource, dict]]:
    objs: list[tuple[c.Resource, dict]] = []
    for i in range(SNAPSHOTS):
        created = f"2026-03-{1 + i // 100:02d}T{(i // 4) % 24:02d}:{i % 60:02d}:00Z"
        status = [
            {
                "scenario": s,
                "status": "TestPassed" if (i + k) % 7 else "TestFail",
                "details": "ok",
                "testPipelineRunName": f"snap-{i}-{s}",
            }
            for k, s in enumerate(("conforma", "e2e"))
        ]
        objs.append(
            (
                c.SNAPSHOT,
                {
                    "apiVersion": c.SNAPSHOT.api_version,
                    "kind": "Snapshot",
                    "metadata": _meta(
                        f"snap-{i}",
                        created,
                        labels={c.COMPONENT_LABEL: ("web", "api", "worker")[i % 3]},
                        annotations={c.TEST_STATUS_ANNOTATION: json.dumps(status)},
                    ),
                    "spec": {
                        "application": APP,
                        "components": [
                            {"name": n, "containerImage": f"r.local/{n}@sha256:{i:064x}"}
                            for n in ("web", "api", "worker")
                        ],
                    },
                    "status": {
                        "conditions": [
                            {
                                "type": c.CONDITION_TEST_SUCCEEDED,
                                "status": "True",
                                "reason": "Passed",
                            }
                        ]
                    },
                },
            )
        )
    for i in range(RELEASES):
        ok = i % 5 != 0
        objs.append(
            (
                c.RELEASE,
                {
                    "apiVersion": c.RELEASE.api_version,
                    "kind": "Release",
                    "metadata": _meta(f"rel-{i}", f"2026-03-06T00:{i % 60:02d}:00Z"),
                    "spec": {"snapshot": f"snap-{i * 5}", "releasePlan": "to-prod"},
                    "status": {
                        "target": MANAGED,
                        "conditions": [
                            {
                                "type": c.CONDITION_RELEASED,
                                "status": "True" if ok else "False",
                                "reason": "Succeeded" if ok else "Failed",
                            }
                        ],
                    },
                },
            )
        )
    return objs


async def main() -> None:
    async with LocalCluster() as cl:
        auth = ApiServerAuth.install(cl.api)
        auth.add_token("t", UserInfo("admin", ("system:masters",)))

        await load_objects(cl.client, small_world())
        for res, obj in big_application():
            await cl.client.create(res, obj)
        access = ClusterAccess(
            KubeClient(cl.config, keepalive=False), read_ttl=3600, review_ttl=3600
        )
        app = make_app(access, RuleCatalogue(allow_local=True), secure=False)
        runner = await start(app, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        headers = {"Authorization": "Bearer t"}
        async with aiohttp.ClientSession(headers=headers) as http:

            async def view(path: str) -> float:
                t0 = time.perf_counter()
                async with http.get(url + path) as r:
                    body = await r.text()
                    assert r.status == 200, body[-400:]
                return time.perf_counter() - t0

            page = f"/ns/{NS}/applications/{APP}"
            await view(page)  # warm the interpreter and the reviews
            cold, warm = [], []
            for _ in range(VIEWS):
                access._reads.clear()
                cold.append(await view(page))
            for _ in range(VIEWS):
                warm.append(await view(page))
            size = len(await (await http.get(url + page)).read())

            def pct(xs: list[float], q: float) -> float:
                return statistics.quantiles(xs, n=100)[q - 1] * 1000 if q < 100 else max(xs)

            print(
                f"Application page, {SNAPSHOTS} Snapshots + {RELEASES} Releases "
                f"({size // 1024} KiB of HTML), {VIEWS} views each:"
            )
            for label, xs in (("reads from the API server", cold), ("read cache warm", warm)):
                print(
                    f"  {label:28s} p50 {statistics.median(xs) * 1000:6.1f} ms   "
                    f"p99 {pct(xs, 99):6.1f} ms"
                )

            pages = {
                "start": "/",
                "namespace": f"/ns/{NS}",
                "application (500 snapshots)": page,
                "snapshot": f"/ns/{NS}/snapshots/snap-two",
                "release (with report)": f"/ns/{NS}/releases/shop-2-failed",
                "pipelinerun (with report)": f"/ns/{MANAGED}/pipelineruns/shop-2-failed-managed-0",
                "policy": f"/ns/{MANAGED}/policies/prod-policy",
                "rules": "/rules",
            }
            print("API requests per page view (TokenReview + SubjectAccessReviews + reads):")
            print(f"  {'page':30s} {'first view':>18s} {'reads expired':>14s} {'cached':>7s}")
            for name, path in pages.items():
                access._reads.clear()
                access._reviews.clear()
                access._tokens.clear()
                before = access.counters.total
                t0 = (access.counters.token_reviews, access.counters.access_reviews)
                await view(path)
                first = access.counters.total - before
                tr = access.counters.token_reviews - t0[0]
                sar = access.counters.access_reviews - t0[1]
                reads = first - tr - sar
                access._reads.clear()
                before = access.counters.total
                await view(path)
                expired = access.counters.total - before
                before = access.counters.total
                await view(path)
                cached = access.counters.total - before
                print(
                    f"  {name:30s} {first:3d} ({tr} + {sar:2d} + {reads:2d}) "
                    f"{expired:14d} {cached:7d}"
                )
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
