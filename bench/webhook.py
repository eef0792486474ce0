"""Webhook latency and throughput: `/validate-component` against a ceiling and a bare server.

Usage:
    python bench/webhook.py [--requests N] [--seconds S] [--concurrency 1,8,32]
                            [--rate R] [--workers W] [--rounds K] [--decompose]

The servers run in their own processes (spawned, with the environment the
deploy/webhook Deployment sets, GOGC included) on 127.0.0.1 with a certificate
from a CA made for the run. The client (aiohttp, keep-alive connections, like
the API server's) runs here. Each request is a Component CREATE as
kube-apiserver sends it for `kubectl apply`, with kind, resource, options,
userInfo groups and managedFields. It passes every rule: the Application is
found and there is no nudge cycle.

  webhook  `konflux webhook`'s service serving the shipped rego/admission bundle,
           logging JSON lines as `serve` does (to a file). Its Kubernetes
           lookups are answered by a kmock API server on loopback, behind the
           default 5 s lookup cache.
  bare     an aiohttp HTTPS server that reads the body and answers a fixed
           AdmissionReview: the floor set by HTTP + TLS on this machine.
  ceiling  the bare server plus the webhook's one evaluation, inline on the event
           loop: the body parsed and shaped into the same input, with the
           lookups the webhook's cache answers, the same prepared query, its
           decision as the answer. No hand-off, deadline, logging or metrics:
           the limit of this stack (the throughput goal is >= 75 % of it).
  inline   (--decompose) the webhook evaluating on the event loop's thread
           (the service minus the hand-off to the evaluation pool).
  no-eval  (--decompose) the webhook with the policy evaluation left out: every
           request allowed after parsing, lookups, input and logging. It
           separates the service's own overhead from the cost of evaluating.

Two measurements per server:
  open loop    requests leave at --rate per second for --seconds whatever the
               answers (latency counted from the planned send time): the
               "p99 at 300 req/s" figure;
  closed loop  at each --concurrency level, up to N requests or S seconds
               after a warm-up, each connection sending its next request when
               the answer arrives: requests/s and p50/p99 at saturation, and
               the server's CPU time per request. Side by side: each of K
               rounds runs every level on every server in turn, and a ratio
               is the median of the per-round ratios.

Prints the tables, the throughput ratios (webhook/ceiling is the goal) and one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import socket
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2  # `konflux webhook serve --workers` default
NAMESPACE = "tenant"
FIXED = {
    "apiVersion": "admission.k8s.io/v1",
    "kind": "AdmissionReview",
    "response": {"uid": "x", "allowed": True},
}


def _deployed_env(name: str) -> str:
    """The value deploy/webhook's Deployment sets for environment variable `name`."""
    import yaml

    doc = yaml.safe_load((ROOT / "deploy/webhook/base/deployment.yaml").read_text())
    for container in doc["spec"]["template"]["spec"]["containers"]:
        for var in container.get("env", []):
            if var["name"] == name:
                return str(var["value"])
    raise SystemExit(f"deploy/webhook sets no {name}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _review(i: int) -> bytes:
    """A Component CREATE as kube-apiserver sends it for `kubectl apply` (fields, managedFields)."""
    name = f"web-{i % 50}"
    gvk = {"group": "appstudio.redhat.com", "version": "v1alpha1", "kind": "Component"}
    gvr = {"group": "appstudio.redhat.com", "version": "v1alpha1", "resource": "components"}
    spec = {
        "componentName": "web",
        "application": "app",
        "source": {
            "git": {"url": "https://github.com/org/web", "revision": "main", "context": "./"}
        },
    }
    obj = {
        "apiVersion": "appstudio.redhat.com/v1alpha1",
        "kind": "Component",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "uid": f"3f1c0a52-{i:08d}",
            "generation": 1,
            "creationTimestamp": "2026-11-25T12:00:00Z",
            "managedFields": [
                {
                    "manager": "kubectl-client-side-apply",
                    "operation": "Update",
                    "apiVersion": "appstudio.redhat.com/v1alpha1",
                    "time": "2026-11-25T12:00:00Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {
                        "f:spec": {
                            ".": {},
                            "f:application": {},
                            "f:componentName": {},
                            "f:source": {
                                ".": {},
                                "f:git": {".": {}, "f:context": {}, "f:revision": {}, "f:url": {}},
                            },
                        }
                    },
                }
            ],
        },
        "spec": spec,
    }
    return json.dumps(
        {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": f"705ab4f5-6393-11e8-b7cc-{i:012d}",
                "kind": gvk,
                "resource": gvr,
                "requestKind": gvk,
                "requestResource": gvr,
                "name": name,
                "namespace": NAMESPACE,
                "operation": "CREATE",
                "userInfo": {
                    "username": "alice@example.com",
                    "uid": "6b1e2f0c-0000-4000-8000-000000000001",
                    "groups": ["konflux-tenant-admins", "system:authenticated"],
                },
                "object": obj,
                "oldObject": None,
                "dryRun": False,
                "options": {
                    "kind": "CreateOptions",
                    "apiVersion": "meta.k8s.io/v1",
                    "fieldManager": "kubectl-client-side-apply",
                    "fieldValidation": "Strict",
                },
            },
        }
    ).encode()


def _bare(cert: str, key: str, port: int) -> None:
    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response(FIXED)

    app = web.Application()
    app.router.add_post("/validate-component", handle)
    web.run_app(
        app,
        host="127.0.0.1",
        port=port,
        ssl_context=_server_context(cert, key),
        print=None,
        access_log=None,
    )


def _server_context(cert: str, key: str) -> ssl.SSLContext:
    """The webhook's own TLS settings, so every server pays the same for TLS."""
    from konflux.webhooks.tls import server_context

    return server_context(Path(cert), Path(key))


@contextlib.asynccontextmanager
async def _cluster(kubeconfig: str) -> AsyncIterator[None]:
    """A kmock API server holding the Application the requests name; its kubeconfig written."""
    import kmock
    import yaml

    async with kmock.KubernetesEmulator() as k8s, kmock.Server(k8s) as srv:
        for plural in ("applications", "components"):
            k8s.resources[f"appstudio.redhat.com/v1alpha1/{plural}"] = {}
        await srv.client.post(
            f"/apis/appstudio.redhat.com/v1alpha1/namespaces/{NAMESPACE}/applications",
            json={
                "apiVersion": "appstudio.redhat.com/v1alpha1",
                "kind": "Application",
                "metadata": {"name": "app", "namespace": NAMESPACE, "uid": "u1"},
                "spec": {"displayName": "App"},
            },
        )
        Path(kubeconfig).write_text(
            yaml.safe_dump(
                {
                    "current-context": "k",
                    "contexts": [{"name": "k", "context": {"cluster": "k"}}],
                    "clusters": [{"name": "k", "cluster": {"server": str(srv.url).rstrip("/")}}],
                }
            )
        )
        yield


def _webhook(
    cert: str, key: str, port: int, workers: int, kubeconfig: str, log: str, variant: str = ""
) -> None:
    """The service. Variants for --decompose: `no-eval` allows every request without the
    engine (all the service's own work except the policy evaluation); `inline` evaluates on
    the event loop's thread, as the ceiling does (the service minus the hand-off to the pool;
    nothing bounds such an evaluation, so it is a measurement, not a design)."""
    from konflux.webhooks import jsonlog
    from konflux.webhooks.bundle import AdmissionEngine, Decision, decision_of, load_bundle
    from konflux.webhooks.server import WebhookConfig, WebhookService

    class _NoEval(AdmissionEngine):
        async def evaluate(self, endpoint: Any, input: Any, timeout: Any = None) -> Decision:
            return Decision(allowed=True)

    class _Inline(AdmissionEngine):
        async def evaluate(self, endpoint: Any, input: Any, timeout: Any = None) -> Decision:
            assert self.prepared is not None
            return decision_of(self.prepared.evaluate(input, (endpoint.select_key,)))

    # Log as `konflux webhook serve` does (one JSON line per request), to a file.
    sys.stderr = open(log, "w")  # noqa: SIM115 - the process's stderr for its lifetime
    jsonlog.configure()

    async def main() -> None:
        async with _cluster(kubeconfig):
            config = WebhookConfig(
                tls_cert=Path(cert),
                tls_key=Path(key),
                host="127.0.0.1",
                port=port,
                kubeconfig=kubeconfig,
                workers=workers,
            )
            variants = {"no-eval": _NoEval, "inline": _Inline}
            engine = variants[variant](load_bundle(), workers=1) if variant else None
            service = WebhookService(config, engine)
            await service.start()
            await asyncio.Event().wait()

    asyncio.run(main())


def _ceiling(cert: str, key: str, port: int, kubeconfig: str) -> None:
    """The bare server plus the webhook's one evaluation, inline on the event loop.

    The limit of this stack: the same HTTPS server as `bare`, and per request only
    what evaluating needs. The body is parsed and shaped into the same input the
    webhook evaluates, with the lookups the webhook's cache answers (read once, at
    start, from the same kmock cluster), then the same prepared query runs on the
    loop's thread and its decision is the answer. No thread hand-off, deadline,
    logging or metrics: nothing bounds this evaluation, which is why it is a
    ceiling and not a design.
    """
    from konflux.kube.config import find_config
    from konflux.webhooks import lookups as lookup
    from konflux.webhooks.bundle import AdmissionEngine, decision_of, load_bundle
    from konflux.webhooks.endpoints import ENDPOINTS
    from konflux.webhooks.review import parse_review, response, rule_input

    endpoint = ENDPOINTS["/validate-component"]
    bundle = load_bundle()
    engine = AdmissionEngine(bundle, workers=1)
    engine.start()
    assert engine.prepared is not None
    prepared, select = engine.prepared, (endpoint.select_key,)

    async def main() -> None:
        async with _cluster(kubeconfig):
            reader = lookup.LookupReader(
                find_config(kubeconfig), managed_fields=bundle.shape.managed_fields
            )
            lookups = await lookup.gather(endpoint.lookups, parse_review(_review(0)), reader)
            await reader.close()

        async def handle(request: web.Request) -> web.Response:
            review = parse_review(await request.read())
            input = rule_input(review, lookups, bundle.shape)
            decision = decision_of(prepared.evaluate(input, select).raise_errors())
            return web.json_response(response(review["uid"], decision))

        app = web.Application()
        app.router.add_post("/validate-component", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(
            runner, "127.0.0.1", port, ssl_context=_server_context(cert, key), backlog=512
        ).start()
        await asyncio.Event().wait()

    asyncio.run(main())


def _cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system, all threads) a server process has used so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _summary(latencies: list[float], errors: int, elapsed: float) -> dict[str, Any]:
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 3),
        "rps": round(len(latencies) / elapsed, 1),
    }


async def _post(session: aiohttp.ClientSession, url: str, i: int) -> bool:
    """Send review `i`; whether it was answered 200 and allowed."""
    async with session.post(
        url, data=_review(i), headers={"Content-Type": "application/json"}
    ) as resp:
        doc = await resp.json()
    return resp.status == 200 and doc["response"]["allowed"]


async def _load(
    url: str, context: ssl.SSLContext, concurrency: int, count: int, seconds: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(ssl=context, limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> None:
            nonlocal errors
            started = time.perf_counter()
            ok = await _post(session, url, i)
            latencies.append(time.perf_counter() - started)
            errors += not ok

        for i in range(min(50, count)):  # warm-up: connections, caches, prepared queries
            await one(i)
        latencies.clear()
        next_i = 0
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()

        async def worker() -> None:
            nonlocal next_i
            while next_i < count and time.perf_counter() < deadline:
                next_i += 1
                await one(next_i)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return _summary(latencies, errors, elapsed)


async def _paced(url: str, context: ssl.SSLContext, rate: float, seconds: float) -> dict[str, Any]:
    """Open loop: request i leaves at i/rate s, whatever the answers; latency counts from then."""
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(ssl=context, limit=256)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int, due: float) -> None:
            nonlocal errors
            ok = await _post(session, url, i)
            latencies.append(time.perf_counter() - due)
            errors += not ok

        for i in range(50):  # warm-up
            await one(i, time.perf_counter())
        latencies.clear()
        start = time.perf_counter()
        tasks = []
        for i in range(int(rate * seconds)):
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return _summary(latencies, errors, elapsed)


def _wait(port: int, context: ssl.SSLContext, path: str) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                f"https://127.0.0.1:{port}{path}", context=context, timeout=2
            ) as resp:
                if resp.status in (200, 405):
                    return
        except Exception as exc:
            if getattr(exc, "code", None) == 405:
                return
        time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument(
        "--rate",
        type=float,
        default=300.0,
        help="open-loop arrival rate for the latency goal (requests/s)",
    )
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="closed-loop rounds over all servers; the median round is kept",
    )
    parser.add_argument(
        "--decompose",
        action="store_true",
        help="also run the service evaluating inline (inline) and without evaluating (no-eval)",
    )
    args = parser.parse_args()
    levels = [int(x) for x in args.concurrency.split(",")]

    from konflux.webhooks.certs import generate

    tmp = Path(tempfile.mkdtemp(prefix="konflux-bench-"))
    files = generate(tmp, ["127.0.0.1", "localhost"])
    context = ssl.create_default_context(cafile=str(files.ca_cert))
    variants = ["inline", "no-eval"] if args.decompose else []
    servers = ["webhook", "ceiling", "bare", *variants]
    ports = {name: _free_port() for name in servers}
    # A fresh interpreter (spawn) with the environment deploy/webhook gives the service: the
    # embedded Go runtime reads GOGC only when the process starts.
    os.environ.setdefault("GOGC", _deployed_env("GOGC"))
    spawn = multiprocessing.get_context("spawn")
    cert, key = str(files.cert), str(files.key)
    procs = {
        "webhook": spawn.Process(
            target=_webhook,
            daemon=True,
            args=(
                cert,
                key,
                ports["webhook"],
                args.workers,
                str(tmp / "kubeconfig"),
                str(tmp / "webhook.log"),
            ),
        ),
        "ceiling": spawn.Process(
            target=_ceiling,
            daemon=True,
            args=(cert, key, ports["ceiling"], str(tmp / "kubeconfig-ceiling")),
        ),
        "bare": spawn.Process(target=_bare, daemon=True, args=(cert, key, ports["bare"])),
    }
    for variant in variants:
        procs[variant] = spawn.Process(
            target=_webhook,
            daemon=True,
            args=(
                cert,
                key,
                ports[variant],
                1,
                str(tmp / f"kubeconfig-{variant}"),
                str(tmp / f"{variant}.log"),
                variant,
            ),
        )
    for proc in procs.values():
        proc.start()
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {
        n: {lv: [] for lv in levels} for n in servers
    }
    paced: dict[str, dict[str, Any]] = {}
    try:
        for name in servers:
            served = name in ("ceiling", "bare")
            _wait(ports[name], context, "/validate-component" if served else "/readyz")
        urls = {name: f"https://127.0.0.1:{ports[name]}/validate-component" for name in servers}
        for name in servers:
            paced[name] = asyncio.run(_paced(urls[name], context, args.rate, args.seconds))
        # Side by side: every round runs each level on every server in turn, so a change in
        # the machine's load during the run falls on all of them alike.
        for _ in range(args.rounds):
            for level in levels:
                for name in servers:
                    pid = procs[name].pid
                    cpu = _cpu_seconds(pid)
                    run = asyncio.run(
                        _load(urls[name], context, level, args.requests, args.seconds)
                    )
                    used = _cpu_seconds(pid) - cpu
                    run["cpu_us"] = round(used / max(run["requests"], 1) * 1e6, 1)
                    runs[name][level].append(run)
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.join(5)
    # The round with the median throughput stands for each server and level.
    results = {
        name: {lv: sorted(rs, key=lambda r: r["rps"])[len(rs) // 2] for lv, rs in by_level.items()}
        for name, by_level in runs.items()
    }
    print(f"open loop at {args.rate:g} req/s for {args.seconds:g} s:")
    print(f"{'server':8} {'':>4} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    for name, r in paced.items():
        print(
            f"{name:8} {'':>4} {r['requests']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} "
            f"{r['rps']:>8}" + (f"  errors={r['errors']}" if r["errors"] else "")
        )
    print(f"closed loop (as fast as answers come), median of {args.rounds} round(s):")
    print(
        f"{'server':8} {'conc':>4} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} "
        f"{'cpu us/req':>10}"
    )
    ratios: dict[str, dict[int, float]] = {}
    for level in levels:
        for name in servers:
            r = results[name][level]
            print(
                f"{name:8} {level:>4} {r['requests']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} "
                f"{r['rps']:>8} {r['cpu_us']:>10}"
                + (f"  errors={r['errors']}" if r["errors"] else "")
            )
        pairs = [("webhook", "ceiling"), ("webhook", "bare"), ("ceiling", "bare")]
        if args.decompose:
            pairs += [("webhook", "inline"), ("inline", "ceiling"), ("no-eval", "bare")]
        for name, base in pairs:
            # Each round's two runs were back to back: the median of the per-round ratios.
            per_round = sorted(
                a["rps"] / b["rps"]
                for a, b in zip(runs[name][level], runs[base][level], strict=True)
            )
            ratio = per_round[len(per_round) // 2]
            ratios.setdefault(f"{name}/{base}", {})[level] = round(ratio, 3)
            print(f"{'':8} {level:>4} {name}/{base} throughput: {ratio:.0%}")
    print(
        json.dumps(
            {
                "workers": args.workers,
                "paced": paced,
                "ratios": ratios,
                "results": {k: {str(lv): r for lv, r in v.items()} for k, v in results.items()},
            }
        )
    )
    if any(r["errors"] for v in results.values() for r in v.values()) or any(
        r["errors"] for r in paced.values()
    ):
        sys.exit(1)


if __name__ == "__main__":
    main()
