"""An asyncio event loop on a daemon thread, for synchronous code driving async code.

`SyncRegistry` runs its `RegistryClient` on one (OPA calls builtins synchronously);
tests and benchmarks, mostly synchronous, run the async servers they talk to
(aiohttp fronts, the webhook, the emulated API server) on one too
(`konflux.testing.LoopThread` is this class). `run` submits a coroutine to the
loop and waits for its result.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """An event loop running forever on a daemon thread until `stop`."""

    def __init__(self, name: str = "konflux-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        """Run `coroutine` on the loop thread; its result, or its exception re-raised here."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self, timeout: float = 10) -> None:
        """Stop the loop and join the thread; the loop is closed once the thread has ended."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)
        if not self.thread.is_alive():
            self.loop.close()

    def __enter__(self) -> LoopThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
