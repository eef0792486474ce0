"""Webhook latency and throughput: `/validate-component` against a bare aiohttp HTTPS server.

Usage:
    python bench/webhook.py [--requests N] [--seconds S] [--concurrency 1,8,32] [--workers W]

Both servers run in their own process on 127.0.0.1 with a certificate from a
CA made for the run; the client (aiohttp, keep-alive connections, like the API
server's) runs here. For each concurrency level it sends up to N requests or
for at most S seconds, whichever comes first, after a short warm-up:

  webhook  `konflux webhook` serving the shipped rego/admission bundle, its
           Kubernetes lookups answered by a kmock API server on loopback (with
           the default 5 s lookup cache); each request a Component CREATE that
           passes every rule (Application found, no nudge cycle).
  bare     an aiohttp HTTPS server that reads the body and answers a fixed
           AdmissionReview: the floor set by HTTP + TLS + JSON on this machine.

Prints p50/p99 latency (ms) and requests/s per server and level, the ratio of
throughputs, and one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
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

NAMESPACE = "tenant"
FIXED = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
         "response": {"uid": "x", "allowed": True}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _review(i: int) -> bytes:
    obj = {"apiVersion": "appstudio.redhat.com/v1alpha1", "kind": "Component",
           "metadata": {"name": f"web-{i % 50}", "namespace": NAMESPACE},
           "spec": {"componentName": "web", "application": "app",
                    "source": {"git": {"url": "https://github.com/org/web"}}}}
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                       "request": {"uid": f"uid-{i}", "operation": "CREATE",
                                   "namespace": NAMESPACE, "name": obj["metadata"]["name"],
                                   "userInfo": {"username": "bench"}, "object": obj}}).encode()


def _bare(cert: str, key: str, port: int) -> None:
    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response(FIXED)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    app = web.Application()
    app.router.add_post("/validate-component", handle)
    web.run_app(app, host="127.0.0.1", port=port, ssl_context=context, print=None,
                access_log=None)


def _webhook(cert: str, key: str, port: int, workers: int, kubeconfig: str) -> None:
    import kmock
    import yaml

    from konflux.webhooks.server import WebhookConfig, WebhookService

    async def main() -> None:
        async with kmock.KubernetesEmulator() as k8s, kmock.Server(k8s) as srv:
            for plural in ("applications", "components"):
                k8s.resources[f"appstudio.redhat.com/v1alpha1/{plural}"] = {}
            await srv.client.post(
                f"/apis/appstudio.redhat.com/v1alpha1/namespaces/{NAMESPACE}/applications",
                json={"apiVersion": "appstudio.redhat.com/v1alpha1", "kind": "Application",
                      "metadata": {"name": "app", "namespace": NAMESPACE, "uid": "u1"},
                      "spec": {"displayName": "App"}})
            Path(kubeconfig).write_text(yaml.safe_dump({
                "current-context": "k", "contexts": [{"name": "k", "context": {"cluster": "k"}}],
                "clusters": [{"name": "k", "cluster": {"server": str(srv.url).rstrip("/")}}]}))
            service = WebhookService(WebhookConfig(
                tls_cert=Path(cert), tls_key=Path(key), host="127.0.0.1", port=port,
                kubeconfig=kubeconfig, workers=workers))
            await service.start()
            await asyncio.Event().wait()

    asyncio.run(main())


async def _load(url: str, context: ssl.SSLContext, concurrency: int, count: int,
                seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(ssl=context, limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(i: int) -> None:
            nonlocal errors
            started = time.perf_counter()
            async with session.post(url, data=_review(i),
                                    headers={"Content-Type": "application/json"}) as resp:
                doc = await resp.json()
            latencies.append(time.perf_counter() - started)
            if resp.status != 200 or not doc["response"]["allowed"]:
                errors += 1

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
    latencies.sort()
    return {"requests": len(latencies), "errors": errors,
            "p50_ms": round(statistics.median(latencies) * 1000, 3),
            "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
                            * 1000, 3),
            "rps": round(len(latencies) / elapsed, 1)}


def _wait(port: int, context: ssl.SSLContext, path: str) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{port}{path}", context=context,
                                        timeout=2) as resp:
                if resp.status in (200, 405):
                    return
        except Exception as exc:
            if getattr(exc, "code", None) == 405:
                return
        time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    levels = [int(x) for x in args.concurrency.split(",")]

    from konflux.webhooks.certs import generate

    tmp = Path(tempfile.mkdtemp(prefix="konflux-bench-"))
    files = generate(tmp, ["127.0.0.1", "localhost"])
    context = ssl.create_default_context(cafile=str(files.ca_cert))
    ports = {"webhook": _free_port(), "bare": _free_port()}
    procs = {
        "webhook": multiprocessing.Process(target=_webhook, daemon=True, args=(
            str(files.cert), str(files.key), ports["webhook"], args.workers,
            str(tmp / "kubeconfig"))),
        "bare": multiprocessing.Process(target=_bare, daemon=True, args=(
            str(files.cert), str(files.key), ports["bare"])),
    }
    for proc in procs.values():
        proc.start()
    try:
        _wait(ports["webhook"], context, "/readyz")
        _wait(ports["bare"], context, "/validate-component")
        results: dict[str, dict[int, dict[str, Any]]] = {"webhook": {}, "bare": {}}
        for level in levels:
            for name in ("webhook", "bare"):
                url = f"https://127.0.0.1:{ports[name]}/validate-component"
                results[name][level] = asyncio.run(
                    _load(url, context, level, args.requests, args.seconds))
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.join(5)
    print(f"{'server':8} {'conc':>4} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    for level in levels:
        for name in ("webhook", "bare"):
            r = results[name][level]
            print(f"{name:8} {level:>4} {r['requests']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} "
                  f"{r['rps']:>8}" + (f"  errors={r['errors']}" if r["errors"] else ""))
        ratio = results["webhook"][level]["rps"] / results["bare"][level]["rps"]
        print(f"{'':8} {level:>4} webhook/bare throughput: {ratio:.0%}")
    print(json.dumps({"results": {k: {str(lv): r for lv, r in v.items()}
                                  for k, v in results.items()}}))
    if any(r["errors"] for v in results.values() for r in v.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
