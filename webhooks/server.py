"""The HTTPS admission service: aiohttp routes, request flow, readiness, graceful shutdown.

Per request: read the headers and body within `read_timeout` (size-limited;
`intake.py` bounds how many connections are being read), parse the
AdmissionReview (400 if it is not one), gather the endpoint's lookups, evaluate
the bundle in the engine pool, answer. Everything after parsing runs under one
deadline below the API server's webhook timeout; what does not finish in time
is denied.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from konflux.kube.config import find_config
from konflux.webhooks import conversion, lookups
from konflux.webhooks.bundle import AdmissionEngine, Decision, load_bundle
from konflux.webhooks.endpoints import ENDPOINTS, Endpoint
from konflux.webhooks.errors import BadReview
from konflux.webhooks.intake import GUARD_KEY, HandshakeBoundSite, ReadGuard, read_in_time
from konflux.webhooks.metrics import Metrics
from konflux.webhooks.review import parse_review, response, rule_input
from konflux.webhooks.tls import CertReloader, server_context

log = logging.getLogger("konflux.webhooks")
CONVERT_PATH = "/convert"

ENGINE_KEY = web.AppKey("engine", AdmissionEngine)
READER_KEY = web.AppKey("reader", lookups.LookupReader)
METRICS_KEY = web.AppKey("metrics", Metrics)


@dataclass
class WebhookConfig:
    tls_cert: Path
    tls_key: Path
    host: str = "0.0.0.0"
    port: int = 8443
    bundle: str | None = None
    policy: str | None = None
    kubeconfig: str | None = None
    context: str | None = None  # kubeconfig context for lookups; default: current-context
    workers: int = 2
    # The API server waits 10 s by default (timeoutSeconds); answer well before it gives up.
    timeout: float = 8.0
    max_body: int = 3 * 1024 * 1024
    # A request's headers and body (and a TLS handshake) must arrive within this many
    # seconds; at most `max_reading` connections are being read at once (intake.py).
    read_timeout: float = 5.0
    max_reading: int = 64
    cache_ttl: float = 5.0
    reload_interval: float = 2.0
    shutdown_timeout: float = 10.0


async def _gather(
    endpoint: Endpoint, review: dict, reader: lookups.LookupReader, deadline: float
) -> dict:
    """The endpoint's lookups; those not answered by `deadline` become errors for the rules."""
    try:
        async with asyncio.timeout(deadline - time.perf_counter()):
            return await lookups.gather(endpoint.lookups, review, reader)
    except TimeoutError:
        return {lu.key: {"error": "Kubernetes API lookup timed out"} for lu in endpoint.lookups}


def _admit_handler(
    endpoint: Endpoint, timeout: float
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def admit(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        deadline = started + timeout
        app = request.app
        metrics = app[METRICS_KEY]
        try:
            review = parse_review(await request.read())
        except BadReview as exc:
            metrics.request(endpoint.path, 400, time.perf_counter() - started)
            log.info("bad request: %s", exc, extra={"path": endpoint.path, "code": 400})
            return web.json_response({"code": 400, "message": str(exc)}, status=400)
        engine = app[ENGINE_KEY]
        lookups: dict = {}
        if endpoint.lookups:
            lookups = await _gather(endpoint, review, app[READER_KEY], deadline)
            for key, value in lookups.items():
                metrics.lookup(key, "error" if "error" in value else "ok")
        decision: Decision = await engine.evaluate(
            endpoint,
            rule_input(review, lookups, engine.bundle.shape),
            timeout=deadline - time.perf_counter(),
        )
        outcome = "error" if decision.error else ("allowed" if decision.allowed else "denied")
        metrics.decision(endpoint.path, outcome)
        elapsed = time.perf_counter() - started
        metrics.request(endpoint.path, 200, elapsed)
        log.info(
            "admission %s",
            outcome,
            extra={
                "uid": review["uid"],
                "path": endpoint.path,
                "allowed": decision.allowed,
                "operation": review.get("operation"),
                "reason": decision.message or None,
                "duration_ms": round(elapsed * 1000, 3),
            },
        )
        return web.json_response(response(review["uid"], decision))

    return admit


async def _convert(request: web.Request) -> web.StreamResponse:
    """ConversionReview v1 for the CRDs with several versions (IntegrationTestScenario)."""
    started = time.perf_counter()
    metrics = request.app[METRICS_KEY]
    try:
        body = json.loads(await request.read())
        answer = conversion.review_response(body)
    except (ValueError, UnicodeDecodeError, RecursionError, BadReview) as exc:
        metrics.request(CONVERT_PATH, 400, time.perf_counter() - started)
        message = str(exc) if isinstance(exc, BadReview) else f"the body is not JSON: {exc}"
        return web.json_response({"code": 400, "message": message}, status=400)
    metrics.request(CONVERT_PATH, 200, time.perf_counter() - started)
    return web.json_response(answer)


async def _healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


async def _readyz(request: web.Request) -> web.Response:
    engine = request.app[ENGINE_KEY]
    if engine.ready:
        return web.Response(text=f"ready: bundle {engine.bundle.revision}\n")
    reason = engine.failure or "the policy bundle is still loading"
    return web.Response(status=503, text=f"not ready: {reason}\n")


async def _metrics(request: web.Request) -> web.Response:
    engine = request.app[ENGINE_KEY]
    counts = (engine.evaluations, engine.evaluated)
    return web.Response(
        text=request.app[METRICS_KEY].render(counts), content_type="text/plain", charset="utf-8"
    )


@web.middleware
async def _last_resort(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """An unexpected error is a logged HTTP 500, never an allow."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unexpected error", extra={"path": request.path})
        return web.json_response({"code": 500, "message": "internal error"}, status=500)


def build_app(
    engine: AdmissionEngine,
    reader: lookups.LookupReader,
    *,
    metrics: Metrics | None = None,
    timeout: float = 8.0,
    max_body: int = 3 * 1024 * 1024,
    read_timeout: float = 5.0,
    max_reading: int = 64,
) -> web.Application:
    app = web.Application(client_max_size=max_body, middlewares=[read_in_time, _last_resort])
    app[GUARD_KEY] = ReadGuard(read_timeout, max_reading)
    app[ENGINE_KEY] = engine
    app[READER_KEY] = reader
    app[METRICS_KEY] = metrics or Metrics()
    app[METRICS_KEY].bundle_revision = engine.bundle.revision
    app[METRICS_KEY].bundle_origin = engine.bundle.origin
    for path, endpoint in ENDPOINTS.items():
        app.router.add_post(path, _admit_handler(endpoint, timeout))
    app.router.add_post(CONVERT_PATH, _convert)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/metrics", _metrics)
    return app


class WebhookService:
    """The running service: engine warm-up, TLS with reload, the HTTPS site; start/stop."""

    def __init__(self, config: WebhookConfig, engine: AdmissionEngine | None = None):
        self.config = config
        self.engine = engine or AdmissionEngine(
            load_bundle(config.bundle, config.policy),
            workers=config.workers,
            timeout=config.timeout,
        )
        self.reader = lookups.LookupReader(find_config(config.kubeconfig, config.context),
                                           ttl=config.cache_ttl,
                                           timeout=min(3.0, config.timeout / 2),
                                           managed_fields=self.engine.bundle.shape.managed_fields)
        self.context = server_context(config.tls_cert, config.tls_key)
        self.reloader = CertReloader(
            self.context, config.tls_cert, config.tls_key, config.reload_interval
        )
        self.app = build_app(
            self.engine,
            self.reader,
            timeout=config.timeout,
            max_body=config.max_body,
            read_timeout=config.read_timeout,
            max_reading=config.max_reading,
        )
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.port = config.port

    async def _warm(self) -> None:
        try:
            await asyncio.to_thread(self.engine.start)
            log.info(
                "policy bundle loaded",
                extra={"reason": f"{self.engine.bundle.origin}@{self.engine.bundle.revision}"},
            )
        except Exception as exc:  # a bundle that does not compile: stay unready, deny everything
            self.engine.failure = f"the policy bundle failed to load: {exc}"
            log.error(self.engine.failure)

    async def start(self) -> None:
        self._runner = web.AppRunner(
            self.app, access_log=None, shutdown_timeout=self.config.shutdown_timeout
        )
        await self._runner.setup()
        assert self._runner.server is not None
        self.app[GUARD_KEY].attach(self._runner.server)
        site = HandshakeBoundSite(
            self._runner,
            self.config.host,
            self.config.port,
            ssl_context=self.context,
            backlog=512,
            handshake_timeout=self.config.read_timeout,
        )
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        self._tasks = [asyncio.create_task(self._warm()), asyncio.create_task(self.reloader.run())]
        log.info("serving", extra={"reason": f"https://{self.config.host}:{self.port}"})

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._runner is not None:
            await self._runner.cleanup()  # waits for in-flight requests, then closes
        await self.reader.close()
        self.engine.close()


async def run(config: WebhookConfig) -> int:
    """Serve until SIGTERM/SIGINT; return the signal that stopped the service."""
    service = WebhookService(config)
    await service.start()
    stop = asyncio.Event()
    stopped_by: list[int] = []
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda s=sig: (stopped_by.append(s), stop.set()))
    try:
        await stop.wait()
        log.info("shutting down")
    finally:
        await service.stop()
    return stopped_by[0]


def serve(config: WebhookConfig) -> int:
    """Run the service until SIGTERM/SIGINT; return that signal."""
    return asyncio.run(run(config))
