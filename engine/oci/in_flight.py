"""Requests a registry client has sent and not yet seen answered: who a slow run waits on."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class InFlight:
    """Thread-safe: the client's event loop adds and removes, a progress display reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: dict[int, tuple[str, float]] = {}
        self._ids = itertools.count()

    @asynccontextmanager
    async def waiting_on(self, host: str) -> AsyncIterator[None]:
        with self._lock:
            key = next(self._ids)
            self._started[key] = (host, time.monotonic())
        try:
            yield
        finally:
            with self._lock:
                del self._started[key]

    def oldest(self) -> tuple[str, float] | None:
        """(host, seconds waited) of the request waiting longest, or None when none is open."""
        with self._lock:
            if not self._started:
                return None
            host, started = min(self._started.values(), key=lambda entry: entry[1])
        return host, time.monotonic() - started
