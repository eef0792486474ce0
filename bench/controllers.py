"""Controller latency and throughput on the emulated API server.

Prints: median time from a build PipelineRun's success to its Snapshot, and from the
required test's success to the managed release PipelineRun (20 runs each); and reconcile
throughput for 500 Snapshots, pure function alone (its decisions asked of the shipped
Rego gates through the one evaluation core) and through the operators.
Run: python3 bench/controllers.py
"""

from __future__ import annotations

import asyncio
import statistics
import time

from konflux.controllers import constants as c
from konflux.controllers import integration
from konflux.controllers.gates import default_gates
from konflux.controllers.operators import OperatorConfig
from konflux.testing import LocalCluster, build_run, finish_run, seed_tenant
from konflux.testing._world import MANAGED
from konflux.testing._world import TENANT as NS


async def latencies(n: int = 20) -> tuple[list[float], list[float]]:
    to_snapshot, to_managed = [], []
    async with LocalCluster() as cl:
        await cl.start(OperatorConfig(only=("integration", "release")))
        await seed_tenant(cl.client)
        for i in range(n):
            run = build_run(f"b{i}")
            run["status"]["startTime"] = f"2026-05-01T10:{i:02d}:00.000Z"
            pending = {k: v for k, v in run.items() if k != "status"}
            await cl.client.create(c.PIPELINE_RUN, pending)
            t0 = time.perf_counter()
            await cl.client.patch(
                c.PIPELINE_RUN, NS, f"b{i}", {"status": run["status"]}, status=True
            )
            snap = await cl.wait_for(
                "snapshot",
                lambda i=i: [
                    s
                    for s in cl.api.live(c.SNAPSHOT, NS)
                    if s["metadata"]["labels"][c.BUILD_PIPELINERUN_LABEL] == f"b{i}"
                ],
                interval=0.001,
            )
            to_snapshot.append(time.perf_counter() - t0)
            name = snap[0]["metadata"]["name"]
            test = await cl.wait_for(
                "test run",
                lambda name=name: [
                    r
                    for r in cl.api.live(c.PIPELINE_RUN, NS)
                    if r["metadata"]["labels"].get(c.SNAPSHOT_LABEL) == name
                    and r["metadata"]["labels"].get(c.SCENARIO_LABEL) == "conforma"
                ],
                interval=0.001,
            )
            t1 = time.perf_counter()
            await finish_run(cl.client, test[0], "SUCCESS")
            await cl.wait_for(
                "managed run",
                lambda name=name: [
                    r
                    for r in cl.api.live(c.PIPELINE_RUN, MANAGED)
                    if r["metadata"]["labels"].get(c.SNAPSHOT_LABEL) == name
                ],
                interval=0.001,
            )
            to_managed.append(time.perf_counter() - t1)
    return to_snapshot, to_managed


def snapshot_objs(n: int) -> list[dict]:
    return [
        {
            "apiVersion": c.SNAPSHOT.api_version,
            "kind": "Snapshot",
            "metadata": {
                "name": f"s{i}",
                "namespace": "t",
                "uid": str(i),
                "labels": {c.COMPONENT_LABEL: "api"},
            },
            "spec": {"application": "app", "components": []},
        }
        for i in range(n)
    ]


def pure_throughput(n: int = 500) -> float:
    scenarios = [
        {
            "metadata": {"name": "conforma", "namespace": "t"},
            "spec": {"application": "app", "resolverRef": {"resolver": "git", "params": []}},
        }
    ]
    snaps = snapshot_objs(n)
    gates = default_gates()  # loaded (and its query prepared) before the clock starts
    integration.reconcile_snapshot(snaps[0], scenarios, [], {}, [], [], gates=gates)
    t0 = time.perf_counter()
    for snap in snaps:
        integration.reconcile_snapshot(snap, scenarios, [], {}, [], [], gates=gates)
    return n / (time.perf_counter() - t0)


async def emulator_throughput(n: int = 500) -> float:
    async with LocalCluster() as cl:
        await cl.client.create(
            c.SCENARIO,
            {
                "apiVersion": c.SCENARIO.api_version,
                "kind": c.SCENARIO.kind,
                "metadata": {"name": "conforma", "namespace": "t"},
                "spec": {"application": "app", "resolverRef": {"resolver": "git", "params": []}},
            },
        )
        for snap in snapshot_objs(n):
            await cl.client.create(c.SNAPSHOT, snap)
        t0 = time.perf_counter()
        await cl.start(OperatorConfig(only=("integration",)))
        await cl.wait_for(
            "all test runs",
            lambda: len(cl.api.live(c.PIPELINE_RUN, "t")) == n,
            timeout=300,
            interval=0.05,
        )
        return n / (time.perf_counter() - t0)


def main() -> None:
    snap, managed = asyncio.run(latencies())
    print(
        f"build success -> Snapshot:          median {statistics.median(snap) * 1000:.1f} ms "
        f"(20 runs, min {min(snap) * 1000:.1f}, max {max(snap) * 1000:.1f})"
    )
    print(
        f"test success -> managed PipelineRun: median {statistics.median(managed) * 1000:.1f} ms"
        f" (20 runs, min {min(managed) * 1000:.1f}, max {max(managed) * 1000:.1f})"
    )
    pure = max(pure_throughput() for _ in range(3))
    print(f"reconcile_snapshot, pure (Rego gates): {pure:.0f} Snapshots/s (500, best of 3)")
    print(
        f"operators on the emulator:          {asyncio.run(emulator_throughput()):.0f} "
        "Snapshots/s (500, from start to every test PipelineRun created)"
    )


if __name__ == "__main__":
    main()
