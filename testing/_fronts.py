"""Servers in front of a registry, for hostile-registry tests and benchmarks.

- `FaultProxy` forwards to the registry except for the requests a test picks,
  which it answers 500, 429 (then recovers), 404, hangs, drops the connection,
  corrupts / truncates blob bodies, serves a body of the test's choosing, or
  streams an endless one (OCI distribution spec, "Error Codes": the client must
  turn each into a clear `RegistryError`).
- `TokenFront` demands auth: a bearer token from its own token server (the
  distribution "Token Authentication Specification"), or basic auth.

Both are aiohttp servers on 127.0.0.1 (`start`/`stop` on a `LoopThread`).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from konflux.engine.oci import ImageReference, parse_reference

OCI_INDEX = "application/vnd.oci.image.index.v1+json"


async def _start_app(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


_HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "authorization"}


async def _forward(request: web.Request, upstream: str, session: ClientSession) -> web.Response:
    """Pass `request` to the registry at `upstream`, keeping our Host for its Location URLs."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
    headers["Host"] = request.host
    body = await request.read()
    async with session.request(
        request.method,
        f"{upstream}{request.path_qs}",
        headers=headers,
        data=body or None,
        allow_redirects=False,
    ) as resp:
        payload = await resp.read()
        out = {
            k: v
            for k, v in resp.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding", "connection")
        }
        return web.Response(status=resp.status, headers=out, body=payload)


# -- servers in front of the registry --------------------------------------------------------


@dataclass
class _Front:
    """An aiohttp server on `port` in front of the registry at `upstream` (start/stop)."""

    upstream: str
    port: int

    def __post_init__(self) -> None:
        self.session: ClientSession | None = None
        self.runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        self.session = ClientSession(timeout=ClientTimeout(total=30), auto_decompress=False)
        app = web.Application()
        self.routes(app)
        self.runner = await _start_app(app, self.port)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.session is not None:
            await self.session.close()


# -- the fault-injecting proxy ---------------------------------------------------------------


@dataclass
class FaultProxy(_Front):
    """Forwards to the registry, except for the next `times` requests matching `path_part`.

    `mode`: "500", "429", "404", "hang", "drop", "corrupt", "truncate", "redirect",
    "body" (answer `body` with `content_type`), "endless" (stream `endless` bytes of
    `[` in 1 MiB chunks; `streamed` counts what left before the client hung up) or None.
    `times` < 0 means every matching request; `method` limits faults to one HTTP
    method. `hits` counts faults served.
    """

    mode: str | None = None
    times: int = -1
    path_part: str = "/v2/"
    hits: int = 0
    requests: int = 0
    # digest -> OCI index served at /v2/<name>/referrers/<digest>, standing in for a
    # registry that implements the referrers API (Debian's docker-registry 2.8 does not).
    referrers_api: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    redirect_to: str = ""  # base URL for mode "redirect"
    method: str | None = None
    body: bytes = b""
    content_type: str = "application/vnd.oci.image.manifest.v1+json"
    endless: int = 512 * 1024 * 1024
    streamed: int = 0

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def ref(self, repository: str, tag: str = "latest") -> ImageReference:
        return parse_reference(f"{self.host}/{repository}:{tag}")

    def inject(
        self,
        mode: str | None,
        *,
        times: int = -1,
        path_part: str = "/v2/",
        method: str | None = None,
        body: bytes = b"",
    ) -> None:
        self.mode, self.times, self.path_part, self.hits = mode, times, path_part, 0
        self.method, self.body, self.streamed = method, body, 0

    def _faulty(self, request: web.Request) -> str | None:
        if self.mode is None or self.path_part not in request.path or self.times == 0:
            return None
        if self.method is not None and request.method != self.method:
            return None
        if self.times > 0:
            self.times -= 1
        self.hits += 1
        return self.mode

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        self.seen.append(f"{request.method} {request.path_qs}")
        assert self.session is not None
        if "/referrers/" in request.path and self.referrers_api:
            index = self.referrers_api.get(request.path.rsplit("/", 1)[-1])
            if index is not None:
                return web.json_response(index, content_type=OCI_INDEX)
        mode = self._faulty(request)
        if mode == "500":
            return web.json_response(
                {"errors": [{"code": "UNKNOWN", "message": "injected server error"}]}, status=500
            )
        if mode == "429":
            return web.json_response(
                {"errors": [{"code": "TOOMANYREQUESTS", "message": "slow down"}]},
                status=429,
                headers={"Retry-After": "0"},
            )
        if mode == "404":
            return web.json_response(
                {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "injected 404"}]}, status=404
            )
        if mode == "body":
            return web.Response(body=self.body, content_type=self.content_type)
        if mode == "endless":
            stream = web.StreamResponse(headers={"Content-Type": self.content_type})
            await stream.prepare(request)
            chunk = b"[" * (1024 * 1024)
            try:
                while self.streamed < self.endless:
                    await stream.write(chunk)
                    self.streamed += len(chunk)
            except (ConnectionError, RuntimeError):
                pass  # the client stopped reading: what it took is in `streamed`
            return stream
        if mode == "redirect":
            # Like a registry handing blobs to a storage backend: 307 to `redirect_to`.
            raise web.HTTPTemporaryRedirect(f"{self.redirect_to}{request.path_qs}")
        if mode == "hang":
            # Until the test ends: stop() releases it so the server can shut down.
            await self.released.wait()
            return web.Response(status=503)
        if mode == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)  # never reaches the client
        response = await _forward(request, self.upstream, self.session)
        if mode in ("corrupt", "truncate") and request.method == "GET" and response.body:
            body = bytes(response.body)  # type: ignore[arg-type]
            if mode == "corrupt":
                response.body = bytes([body[0] ^ 0xFF]) + body[1:]
                return response
            # Promise the full length, send half, and hang up.
            stream = web.StreamResponse(status=response.status, headers=response.headers)
            stream.content_length = len(body)
            await stream.prepare(request)
            await stream.write(body[: len(body) // 2])
            assert request.transport is not None
            request.transport.close()
            return stream
        return response

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self.handle)

    async def stop(self) -> None:
        self.released.set()  # hung requests answer, so the server can close
        await super().stop()


# -- the bearer-token front ------------------------------------------------------------------


@dataclass
class TokenFront(_Front):
    """A registry front demanding auth, with its own token server at `/token`.

    `scheme` "bearer": 401 + `WWW-Authenticate: Bearer realm=.../token,service=...,scope=...`;
    the token server hands a token to `username`/`password` (basic auth) only.
    `scheme` "basic": 401 + `WWW-Authenticate: Basic realm=...`, basic auth checked directly.
    """

    scheme: str = "bearer"
    username: str = "alice"
    password: str = field(default_factory=lambda: secrets.token_hex(8))
    service: str = "konflux-test-registry"
    identity_token: str = field(default_factory=lambda: secrets.token_hex(12))
    tokens: dict[str, str] = field(default_factory=dict)  # token -> scope granted
    token_requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def ref(self, repository: str, tag: str = "latest") -> ImageReference:
        return parse_reference(f"{self.host}/{repository}:{tag}")

    def _basic_ok(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return secrets.compare_digest(header, f"Basic {expected}")

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests.append(
            {
                "query": dict(request.query),
                "scopes": request.query.getall("scope", []),
                "authorized": "Authorization" in request.headers,
            }
        )
        if not self._basic_ok(request.headers.get("Authorization", "")):
            return web.json_response({"details": "bad credentials"}, status=401)
        token = secrets.token_hex(16)
        self.tokens[token] = " ".join(request.query.getall("scope", []))
        return web.json_response({"token": token, "expires_in": 300})

    async def token_post(self, request: web.Request) -> web.Response:
        """The OAuth2 form (`grant_type=refresh_token`) used with an identity token."""
        form = await request.post()
        self.token_requests.append({"form": dict(form), "scopes": str(form.get("scope")).split()})
        if form.get("grant_type") != "refresh_token" or not secrets.compare_digest(
            str(form.get("refresh_token", "")), self.identity_token
        ):
            return web.json_response({"details": "bad refresh token"}, status=401)
        token = secrets.token_hex(16)
        self.tokens[token] = str(form.get("scope", ""))
        return web.json_response({"access_token": token, "expires_in": 300})

    async def handle(self, request: web.Request) -> web.StreamResponse:
        assert self.session is not None
        header = request.headers.get("Authorization", "")
        if self.scheme == "basic":
            if not self._basic_ok(header):
                return web.json_response(
                    {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                    status=401,
                    headers={"WWW-Authenticate": 'Basic realm="konflux-test"'},
                )
            return await _forward(request, self.upstream, self.session)
        token = header.removeprefix("Bearer ")
        if not header.startswith("Bearer ") or token not in self.tokens:
            parts = request.path.split("/")
            name = "/".join(parts[2:-2]) if len(parts) > 4 else ""
            challenge = f'Bearer realm="http://{self.host}/token",service="{self.service}"' + (
                f',scope="repository:{name}:pull"' if name else ""
            )
            return web.json_response(
                {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                status=401,
                headers={"WWW-Authenticate": challenge},
            )
        return await _forward(request, self.upstream, self.session)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/token", self.token)
        app.router.add_post("/token", self.token_post)
        app.router.add_route("*", "/{tail:.*}", self.handle)
