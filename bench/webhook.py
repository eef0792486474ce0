"""Webhook latency and throughput: `/validate-component` against a bare aiohttp HTTPS server.

Usage:
    python bench/webhook.py [--requests N] [--seconds S] [--concurrency 1,8,32]
                            [--rate R] [--workers W] [--decompose]

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
  no-eval  (--decompose) the webhook with the policy evaluation left out: every
           request allowed after parsing, lookups, input and logging. It
           separates the service's own overhead from the cost of evaluating.

Two measurements per server:
  open loop    requests leave at --rate per second for --seconds whatever the
               answers (latency counted from the planned send time): the
               "p99 at 300 req/s" figure;
  closed loop  at each --concurrency level, up to N requests or S seconds
               after a warm-up, each connection sending its next request when
               the answer arrives: requests/s and p50/p99 at saturation.

Prints the tables, the webhook/bare throughput ratios and one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import ssl
import statistics
import sys
import tempfile
import time
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

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    app = web.Application()
    app.router.add_post("/validate-component", handle)
    web.run_app(app, host="127.0.0.1", port=port, ssl_context=context, print=None, access_log=None)


def _webhook(
    cert: str, key: str, port: int, workers: int, kubeconfig: str, log: str, evaluate: bool = True
) -> None:
    """The service; with `evaluate=False` every request is allowed without the engine (the
    `no-eval` decomposition: all the service's own work except the policy evaluation)."""
    import kmock
    import yaml

    from konflux.webhooks import jsonlog
    from konflux.webhooks.bundle import AdmissionEngine, Decision, load_bundle
    from konflux.webhooks.server import WebhookConfig, WebhookService

    class _NoEval(AdmissionEngine):
        async def evaluate(self, endpoint: Any, input: Any, timeout: Any = None) -> Decision:
            return Decision(allowed=True)

    # Log as `konflux webhook serve` does (one JSON line per request), to a file.
    sys.stderr = open(log, "w")  # noqa: SIM115 - the process's stderr for its lifetime
    jsonlog.configure()

    async def main() -> None:
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
                        "clusters": [
                            {"name": "k", "cluster": {"server": str(srv.url).rstrip("/")}}
                        ],
                    }
                )
            )
            config = WebhookConfig(
                tls_cert=Path(cert),
                tls_key=Path(key),
                host="127.0.0.1",
                port=port,
                kubeconfig=kubeconfig,
                workers=workers,
            )
            engine = None if evaluate else _NoEval(load_bundle(), workers=1)
            service = WebhookService(config, engine)
            await service.start()
            await asyncio.Event().wait()

    asyncio.run(main())


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
        "--decompose",
        action="store_true",
        help="also run the service with the evaluation left out (no-eval)",
    )
    args = parser.parse_args()
    levels = [int(x) for x in args.concurrency.split(",")]

    from konflux.webhooks.certs import generate

    tmp = Path(tempfile.mkdtemp(prefix="konflux-bench-"))
    files = generate(tmp, ["127.0.0.1", "localhost"])
    context = ssl.create_default_context(cafile=str(files.ca_cert))
    servers = ["webhook", "bare"] + (["no-eval"] if args.decompose else [])
    ports = {name: _free_port() for name in servers}
    # A fresh interpreter (spawn) with the environment deploy/webhook gives the service: the
    # embedded Go runtime reads GOGC only when the process starts.
    os.environ.setdefault("GOGC", _deployed_env("GOGC"))
    spawn = multiprocessing.get_context("spawn")
    procs = {
        "webhook": spawn.Process(
            target=_webhook,
            daemon=True,
            args=(
                str(files.cert),
                str(files.key),
                ports["webhook"],
                args.workers,
                str(tmp / "kubeconfig"),
                str(tmp / "webhook.log"),
            ),
        ),
        "bare": spawn.Process(
            target=_bare, daemon=True, args=(str(files.cert), str(files.key), ports["bare"])
        ),
    }
    if args.decompose:
        procs["no-eval"] = spawn.Process(
            target=_webhook,
            daemon=True,
            args=(
                str(files.cert),
                str(files.key),
                ports["no-eval"],
                1,
                str(tmp / "kubeconfig2"),
                str(tmp / "no-eval.log"),
                False,
            ),
        )
    for proc in procs.values():
        proc.start()
    try:
        for name in servers:
            _wait(ports[name], context, "/validate-component" if name == "bare" else "/readyz")
        results: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in servers}
        paced: dict[str, dict[str, Any]] = {}
        for name in servers:
            url = f"https://127.0.0.1:{ports[name]}/validate-component"
            paced[name] = asyncio.run(_paced(url, context, args.rate, args.seconds))
            for level in levels:
                results[name][level] = asyncio.run(
                    _load(url, context, level, args.requests, args.seconds)
                )
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.join(5)
    print(f"open loop at {args.rate:g} req/s for {args.seconds:g} s:")
    print(f"{'server':8} {'':>4} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    for name, r in paced.items():
        print(
            f"{name:8} {'':>4} {r['requests']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} "
            f"{r['rps']:>8}" + (f"  errors={r['errors']}" if r["errors"] else "")
        )
    print("closed loop (as fast as answers come):")
    print(f"{'server':8} {'conc':>4} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    for level in levels:
        for name in servers:
            r = results[name][level]
            print(
                f"{name:8} {level:>4} {r['requests']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} "
                f"{r['rps']:>8}" + (f"  errors={r['errors']}" if r["errors"] else "")
            )
        for name in servers[:1] + servers[2:]:
            ratio = results[name][level]["rps"] / results["bare"][level]["rps"]
            print(f"{'':8} {level:>4} {name}/bare throughput: {ratio:.0%}")
    print(
        json.dumps(
            {
                "workers": args.workers,
                "paced": paced,
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
