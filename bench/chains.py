"""The Chains-style signer's latency and throughput, on the emulated API server with a real
local registry (Debian's docker-registry).

Prints: the time from a build PipelineRun's success (its status patch) to
`chains.tekton.dev/signed: "true"` (median of 20 builds, signer running), and the
signer's throughput for a backlog of 200 finished build runs (all created while the signer
is stopped; from its start to the last `signed: "true"`). Each run is a Konflux-style
build of three TaskRuns; signing reads the TaskRuns, stores the record, signs the image
(.sig) and attests SLSA v0.2 provenance (.att), each with a read-back.
Run: python3 bench/chains.py [--runs 20] [--backlog 200] [--format slsa/v1]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from konflux.controllers import constants as c
from konflux.controllers.buildruns import finished_status, pipelinerun, taskruns
from konflux.controllers.chains.operator import ChainsOptions
from konflux.controllers.objects import Obj, name_of
from konflux.controllers.operators import OperatorConfig
from konflux.engine.oci import RegistryClient
from konflux.engine.sigstore import generate_key_pair
from konflux.testing import LocalCluster, LocalRegistry, free_port
from konflux.testing._simulate import (
    TENANT,
    build_of,
    install_signer,
    push_bundles,
    push_component,
)


async def builds(client: RegistryClient, host: str, n: int, prefix: str) -> list:
    bundles = await push_bundles(client, host)
    out = []
    for i in range(n):
        image, sbom = await push_component(client, host, "api", tag=f"{prefix}{i}")
        out.append(build_of("api", image, sbom, bundles, f"{prefix}{i}", f"{i:040x}"))
    return out


async def latency(host: str, n: int, fmt: str) -> list[float]:
    signed: dict[str, float] = {}

    def observe(event: str, run: Obj) -> None:
        if event == "chains-signed":
            signed[name_of(run)] = time.perf_counter()

    async with RegistryClient() as client, LocalCluster() as cl:
        todo = await builds(client, host, n, "lat-")
        await install_signer(cl, generate_key_pair(b""), fmt)
        await cl.start(OperatorConfig(only=("chains",), observer=observe))
        times = []
        for b in todo:
            start = datetime.now(UTC).replace(microsecond=0)
            created = await cl.client.create(c.PIPELINE_RUN, pipelinerun(b))
            for tr in taskruns(b, start, (created or {})["metadata"]["uid"]):
                await cl.client.create(c.TASK_RUN, tr)
            t0 = time.perf_counter()
            await cl.client.patch(
                c.PIPELINE_RUN, TENANT, b.name, {"status": finished_status(b, start)}, status=True
            )
            await cl.wait_for(f"{b.name} signed", lambda b=b: b.name in signed, 30, 0.001)
            times.append(signed[b.name] - t0)
    return times


async def throughput(host: str, n: int, fmt: str) -> tuple[float, int]:
    done: set[str] = set()

    def observe(event: str, run: Obj) -> None:
        if event == "chains-signed":
            done.add(name_of(run))

    async with RegistryClient() as client, LocalCluster() as cl:
        todo = await builds(client, host, n, "tp-")
        await install_signer(cl, generate_key_pair(b""), fmt)
        start = datetime.now(UTC).replace(microsecond=0)
        for b in todo:  # finished while the signer is not running
            run = pipelinerun(b)
            run["status"] = finished_status(b, start)
            created = await cl.client.create(c.PIPELINE_RUN, run)
            for tr in taskruns(b, start, (created or {})["metadata"]["uid"]):
                await cl.client.create(c.TASK_RUN, tr)
        t0 = time.perf_counter()
        await cl.start(
            OperatorConfig(only=("chains",), observer=observe, chains=ChainsOptions(backoff=0.1))
        )
        await cl.wait_for(f"{n} runs signed", lambda: len(done) == n, 600, 0.01)
        elapsed = time.perf_counter() - t0
        failed = sum(
            1
            for r in cl.api.live(c.PIPELINE_RUN, TENANT)
            if (r["metadata"].get("annotations") or {}).get(c.CHAINS_SIGNED_ANNOTATION) != "true"
        )
    return elapsed, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--backlog", type=int, default=200)
    parser.add_argument("--format", default="slsa/v1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LocalRegistry(Path(tmp), free_port()) as reg:
        times = asyncio.run(latency(reg.host, args.runs, args.format))
        ms = [t * 1000 for t in times]
        print(
            f"build success -> signed: median {statistics.median(ms):.1f} ms over {len(ms)} "
            f"runs (min {min(ms):.1f}, max {max(ms):.1f}), format {args.format}"
        )
        elapsed, failed = asyncio.run(throughput(reg.host, args.backlog, args.format))
        print(
            f"backlog of {args.backlog} finished runs: {elapsed:.2f} s, "
            f"{args.backlog / elapsed:.1f} runs/s ({failed} not signed)"
        )


if __name__ == "__main__":
    main()
