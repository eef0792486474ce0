"""`validate input --server`: `ec`'s HTTP API for evaluating documents against one policy.

Routes, as `ec` serves them:
- `POST /v1/validate/input`: the body (JSON, or YAML by `Content-Type` or by
  shape) is one input named `input`; the answer is `validate input`'s JSON
  report with the header `X-Conforma-Result: pass|fail`;
- `GET /live` (`{"status":"ok"}`) and `GET /ready` (`{"status":"ready"}` once
  the policy sources are loaded, 503 before).
Errors are `{"error": ..., "status": N}`: 400 for an empty or unparseable body,
413 above 80 MB, 500 when evaluation fails or exceeds 90 s. Policy sources are
loaded once at start; each worker thread owns its evaluator (one engine per
worker). No authentication: bind to loopback or put a proxy in front.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import yaml
from aiohttp import web

from konflux.engine.documents import load_yaml
from konflux.engine.errors import KonfluxError
from konflux.engine.evaluation import PolicyEvaluator, Settings
from konflux.engine.output.documents import report_document
from konflux.engine.policy.spec import Policy
from konflux.engine.report import Report, TargetReport

log = logging.getLogger("konflux.input_service")

MAX_BODY = 80 << 20  # 80 MB, as ec
EVALUATION_TIMEOUT = 90.0  # seconds, as ec
YAML_TYPES = {"application/yaml", "application/x-yaml", "text/yaml"}


@dataclass
class ServiceConfig:
    policy: Policy
    settings: Settings
    info: bool = False
    show_successes: bool = False
    show_warnings: bool = True
    workers: int = 2
    timeout: float = EVALUATION_TIMEOUT


def _error(status: int, message: str) -> web.Response:
    body = json.dumps({"error": message, "status": status}) + "\n"
    return web.Response(status=status, text=body, content_type="application/json")


def parse_body(body: bytes, media_type: str) -> Any:
    """The input document, or None when the body is neither JSON nor a YAML mapping."""
    text = body.decode("utf-8", "replace")

    def as_json() -> Any:
        try:
            return json.loads(text)
        except ValueError:
            return None

    def as_yaml_map() -> Any:
        try:
            value = load_yaml(text)
        except yaml.YAMLError:
            return None
        return value if isinstance(value, dict) else None

    if media_type == "application/json":
        return as_json()
    if media_type in YAML_TYPES:
        return as_yaml_map()
    value = as_json()
    return value if value is not None else as_yaml_map()


class InputService:
    """The policy, loaded once, and evaluators owned by worker threads."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.ready = False
        self._local = threading.local()
        self._made: list[PolicyEvaluator] = []
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max(1, config.workers), thread_name_prefix="evaluate")

    def _evaluator(self) -> PolicyEvaluator:
        if not hasattr(self._local, "evaluator"):
            self._local.evaluator = PolicyEvaluator(self.config.policy, self.config.settings)
            with self._lock:
                self._made.append(self._local.evaluator)
        return self._local.evaluator

    def load(self) -> None:
        """Fetch and compile the policy sources before answering (`/ready`)."""
        self._pool.submit(self._evaluator).result()
        self.ready = True

    def evaluate(self, document: Any) -> Report:
        outcome = self._evaluator().evaluate(document)
        return Report(
            targets=[TargetReport("input", outcome)],
            policy=self.config.policy.spec,
            effective_time=self.config.settings.effective_time,
            show_successes=self.config.show_successes,
            show_warnings=self.config.show_warnings,
            info=self.config.info,
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        for evaluator in self._made:
            evaluator.close()

    # -- HTTP -----------------------------------------------------------------------------------

    async def live(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def ready_(self, _: web.Request) -> web.Response:
        if self.ready:
            return web.json_response({"status": "ready"})
        return web.json_response({"status": "not ready"}, status=503)

    async def validate(self, request: web.Request) -> web.Response:
        started = time.monotonic()
        body = await _read_body(request, MAX_BODY)
        if not body:
            return _error(400, "request body is empty")
        if len(body) > MAX_BODY:
            return _error(413, f"request body exceeds {MAX_BODY >> 20}MB limit")
        document = parse_body(body, request.content_type if request.content_type else "")
        if document is None:
            return _error(400, "request body is not valid JSON or YAML")
        loop = asyncio.get_running_loop()
        try:
            report = await asyncio.wait_for(
                loop.run_in_executor(self._pool, self.evaluate, document), self.config.timeout
            )
        except TimeoutError:
            return _error(500, "evaluation timed out")
        except KonfluxError as exc:
            log.error("evaluation failed: %s", exc)
            return _error(500, "evaluation failed")
        result = "pass" if report.success else "fail"
        log.info(
            "validated input",
            extra={"path": request.path, "reason": result, "duration_ms": _ms(started)},
        )
        return web.Response(
            text=json.dumps(report_document(report), separators=(",", ":"), ensure_ascii=False),
            content_type="application/json",
            headers={"X-Conforma-Result": result},
        )

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY + 1)
        app.router.add_get("/live", self.live)
        app.router.add_get("/ready", self.ready_)
        app.router.add_post("/v1/validate/input", self.validate)
        return app


async def _read_body(request: web.Request, limit: int) -> bytes:
    """The body, or its first `limit + 1` bytes when it is longer (then refused).

    `StreamReader.read(n)` answers with what has arrived so far, up to n bytes, so one
    call would cut a body that comes in several chunks (anything past ~64 KiB).
    """
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await request.content.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


async def serve(service: InputService, address: str, port: int) -> None:
    """Load the policy, then serve until cancelled (Ctrl-C)."""
    loop = asyncio.get_running_loop()
    runner = web.AppRunner(service.app(), access_log=None)
    await runner.setup()
    try:
        # Listen first: a port in use fails at once, and /live and /ready (503 until the
        # sources are loaded) answer while the policy loads, as their names promise.
        site = web.TCPSite(runner, address, port)
        await site.start()
        log.info("Server listening on %s:%d", address, port)
        await loop.run_in_executor(None, service.load)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        service.close()
