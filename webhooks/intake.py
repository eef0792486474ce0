"""How requests are let in: a deadline to read each one, and a bound on how many are being read.

aiohttp's server has no header or body read timeout: a client that opens a
connection and trickles (or stalls) its headers or body holds the connection,
and up to the body limit of memory, for as long as it likes. With the
webhook's `failurePolicy: Fail`, a few dozen such clients make the cluster
refuse every Konflux change. So:

- the TLS handshake must finish within `read_timeout`;
- a connection is *reading* from the moment it is accepted (or its previous
  answer was handed back) until its request's headers and whole body are in;
  it gets `read_timeout` seconds for that, then it is aborted (an idle
  keep-alive connection counts as reading: it is closed the same way);
- at most `max_reading` connections are reading at once; a new connection
  beyond that evicts the one that has been reading longest, so a flood of
  stalled clients can delay a real request by at most one read, never
  lock it out.
The body size limit (413) stays the application's `client_max_size`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger("konflux.webhooks")


class ReadGuard:
    """The connections being read, oldest first, each with its deadline."""

    def __init__(self, read_timeout: float, max_reading: int):
        self.read_timeout = read_timeout
        self.max_reading = max(1, max_reading)
        self._reading: OrderedDict[Any, tuple[asyncio.Transport, asyncio.TimerHandle]] = (
            OrderedDict()
        )
        self.aborted = 0  # connections closed for reading too slowly or to make room

    def attach(self, server: web.Server) -> None:
        """Follow `server`'s connections (its `connection_made`/`connection_lost` hooks)."""
        made, lost = server.connection_made, server.connection_lost

        def connection_made(handler: Any, transport: asyncio.Transport) -> None:
            made(handler, transport)
            self.reading(handler, transport)

        def connection_lost(handler: Any, exc: BaseException | None = None) -> None:
            self._forget(handler)
            lost(handler, exc)

        server.connection_made = connection_made  # type: ignore[method-assign]
        server.connection_lost = connection_lost  # type: ignore[method-assign]

    @property
    def count(self) -> int:
        return len(self._reading)

    def reading(self, handler: Any, transport: asyncio.Transport | None) -> None:
        """`handler`'s connection starts reading a request: start its clock."""
        if transport is None or transport.is_closing():
            return
        self._forget(handler)
        while len(self._reading) >= self.max_reading:
            _, (old_transport, timer) = self._reading.popitem(last=False)
            timer.cancel()
            self._abort(old_transport, "evicted: too many connections being read")
        loop = asyncio.get_running_loop()
        timer = loop.call_later(self.read_timeout, self._expire, handler)
        self._reading[handler] = (transport, timer)

    def read(self, handler: Any) -> None:
        """`handler`'s request is in: its clock stops."""
        self._forget(handler)

    def _forget(self, handler: Any) -> None:
        entry = self._reading.pop(handler, None)
        if entry is not None:
            entry[1].cancel()

    def _expire(self, handler: Any) -> None:
        entry = self._reading.pop(handler, None)
        if entry is not None:
            self._abort(entry[0], f"no complete request within {self.read_timeout:g}s")

    def _abort(self, transport: asyncio.Transport, why: str) -> None:
        self.aborted += 1
        peer = transport.get_extra_info("peername")
        log.info("connection closed: %s", why, extra={"reason": f"{peer}: {why}"})
        transport.abort()


GUARD_KEY = web.AppKey("read_guard", ReadGuard)


@web.middleware
async def read_in_time(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Read the whole body before any handler runs (the guard's clock is on), then stop it."""
    guard = request.app[GUARD_KEY]
    await request.read()  # raises 413 past client_max_size
    guard.read(request.protocol)
    try:
        return await handler(request)
    finally:
        # The answer goes back and the connection waits for its next request: reading again.
        guard.reading(request.protocol, request.transport)  # type: ignore[arg-type]


class HandshakeBoundSite(web.TCPSite):
    """A TCP site whose TLS handshakes must finish within a deadline (asyncio's default is
    60 s, and aiohttp's `TCPSite` does not pass one)."""

    def __init__(self, *args: Any, handshake_timeout: float, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.handshake_timeout = handshake_timeout

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site with its runner
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        self._server = await loop.create_server(
            server,
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            ssl_handshake_timeout=self.handshake_timeout if self._ssl_context else None,
        )
        sockets = self._server.sockets or []
        if sockets:
            self._bound_port = sockets[0].getsockname()[1]
