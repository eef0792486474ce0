"""A bounded pool of engines shared by threads, and batched evaluation for asyncio callers.

One engine runs one evaluation at a time, so concurrency comes from several
engines. Two ways in, over the same engines:

- `borrow()`: the calling thread takes an idle engine (one is made when fewer
  than `size` exist, else it waits) and gives it back afterwards. The CLI's
  worker threads evaluate this way.
- `submit(job)` from an event loop: the pool's own threads (`size` of them,
  started on first use) take the next job together with every job already
  waiting (up to `batch_max`), borrow an engine and run the batch in one go
  (`run_batch`). The coroutine awaits a future the thread settles, so the loop
  never blocks on an evaluation and a caller can stop waiting at its deadline.
  A job whose caller stopped waiting before its batch started is skipped. A
  new job wakes the thread that went idle last (a stack, not a queue): under
  light load one thread, its engine and the Go thread behind it stay warm,
  instead of every thread taking turns.

The pool knows nothing about Rego: what a batch means is `run_batch`'s
business (the evaluation core's).
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:  # asyncio (~12 ms to import) only for the callers on an event loop
    import asyncio


class Closable(Protocol):
    def close(self) -> None: ...


E = TypeVar("E", bound=Closable)
J = TypeVar("J")
R = TypeVar("R")
# The outcome of each job of a batch: its result, or the exception its caller gets.
BatchRunner = Callable[[E, Sequence[J]], Sequence["R | BaseException"]]


class PoolClosed(RuntimeError):
    """The pool was closed: no engine will evaluate this."""


@dataclass(slots=True)
class _Job(Generic[J, R]):
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[R]
    item: J
    # Set while the caller waits on its own thread (see `run`); the pool lock guards both.
    direct: threading.Lock | None = None
    outcome: Any = None


def _settle(outcomes: list[tuple[asyncio.Future[Any], Any]]) -> None:
    """Runs on the caller's loop: hand each waiting coroutine its outcome."""
    for future, outcome in outcomes:
        if future.done():  # the caller stopped waiting (deadline) while the batch ran
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class EnginePool(Generic[E, J, R]):
    """Up to `size` engines made by `make`, lent to threads or driven by the pool's threads."""

    def __init__(
        self,
        make: Callable[[], E],
        size: int,
        run_batch: BatchRunner[E, J, R] | None = None,
        *,
        batch_max: int = 16,
        name: str = "engine",
    ):
        self._make = make
        self.size = max(1, size)
        self._run_batch = run_batch
        self.batch_max = max(1, batch_max)
        self._name = name
        self._cond = threading.Condition()
        self._idle: list[E] = []
        self._made = 0
        self._closed = False
        # Jobs for the pool's threads, and the threads sleeping for want of one (a stack).
        self._lock = threading.Lock()
        self._pending: collections.deque[_Job[J, R]] = collections.deque()
        self._sleepers: list[threading.Lock] = []
        self._stopping = False
        self._running = 0  # batches being evaluated
        self._threads: list[threading.Thread] = []

    # -- lending -----------------------------------------------------------------------------

    def adopt(self, engine: E) -> None:
        """Add an engine made elsewhere (the first one, built eagerly to surface load errors)."""
        with self._cond:
            self._made += 1
            self._idle.append(engine)
            self._cond.notify()

    @contextlib.contextmanager
    def borrow(self) -> Iterator[E]:
        """An engine for the calling thread alone, until the block ends."""
        engine = self._acquire()
        try:
            yield engine
        finally:
            self._release(engine)

    def _acquire(self) -> E:
        with self._cond:
            while not self._idle and self._made >= self.size and not self._closed:
                self._cond.wait()
            if self._closed:
                raise PoolClosed(f"the {self._name} pool is closed")
            if self._idle:
                return self._idle.pop()  # the most recently used: its caches are warm
            self._made += 1
        try:
            return self._make()
        except BaseException:
            with self._cond:
                self._made -= 1
                self._cond.notify()
            raise

    def _release(self, engine: E) -> None:
        with self._cond:
            if not self._closed:
                self._idle.append(engine)
                self._cond.notify()
                return
            self._made -= 1
        engine.close()

    def warm(self, prepare: Callable[[E], None]) -> None:
        """Make every engine and run `prepare` on each, in parallel (compiling is slow)."""
        held: list[E] = []
        errors: list[BaseException] = []

        def one() -> None:
            try:
                engine = self._acquire()
                held.append(engine)  # list.append is atomic; nothing is given back until all end
                prepare(engine)
            except BaseException as exc:  # raised below, in the caller's thread
                errors.append(exc)

        threads = [
            threading.Thread(target=one, name=f"{self._name}-warm-{n}") for n in range(self.size)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for engine in held:
            self._release(engine)
        if errors:
            raise errors[0]

    # -- batched evaluation for asyncio callers ----------------------------------------------

    async def run(self, item: J, *, timeout: float, direct_wait: float = 0.0) -> R:
        """Evaluate `item` on the pool's threads; `TimeoutError` after `timeout` seconds.

        When this job is the only one in flight, the caller first waits for it on its own
        thread for up to `direct_wait` seconds (the GIL released): the answer then comes
        back without a round trip through the event loop's wake-up. Only a caller whose
        loop has nothing else to do should ask for that; a longer evaluation continues as
        usual, within `timeout`.
        """
        import asyncio  # loaded already: the caller runs on an event loop

        if self._run_batch is None:
            raise TypeError(f"the {self._name} pool was built without a batch runner")
        if len(self._threads) < self.size:
            self._start_threads()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        job: _Job[J, R] = _Job(loop, loop.create_future(), item)
        with self._lock:
            if self._stopping:
                raise PoolClosed(f"the {self._name} pool is closed")
            if direct_wait > 0 and not self._pending and self._running == 0:
                job.direct = threading.Lock()
                job.direct.acquire()
            self._pending.append(job)
            # The thread that went idle last: its engine and the Go thread behind it are warm.
            sleeper = self._sleepers.pop() if self._sleepers else None
        if sleeper is not None:
            sleeper.release()
        if job.direct is not None:
            answered = job.direct.acquire(timeout=max(0.0, min(direct_wait, timeout)))
            with self._lock:
                if answered or job.direct is None:  # None: the thread answered in between
                    outcome = job.outcome
                    if isinstance(outcome, BaseException):
                        raise outcome
                    return outcome  # type: ignore[no-any-return]
                job.direct = None  # from now on the thread settles the future
        async with asyncio.timeout_at(deadline):
            return await job.future

    def _start_threads(self) -> None:
        with self._lock:
            while len(self._threads) < self.size:
                thread = threading.Thread(
                    target=self._work, daemon=True, name=f"{self._name}-{len(self._threads)}"
                )
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        assert self._run_batch is not None
        wake = threading.Lock()  # released by `run` (or `close`) once per time we sleep
        wake.acquire()
        while (jobs := self._take(wake)) is not None:
            items = [job.item for job in jobs]
            try:
                with self.borrow() as engine:
                    outcomes: Sequence[Any] = self._run_batch(engine, items)
            except BaseException as exc:  # handed to every waiting caller, never lost
                outcomes = [exc] * len(jobs)
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
            with self._lock:
                self._running -= 1
                for job, outcome in zip(jobs, outcomes, strict=True):
                    if job.direct is not None:  # its caller waits on its own thread
                        job.outcome, direct, job.direct = outcome, job.direct, None
                        direct.release()
                    else:
                        by_loop.setdefault(job.loop, []).append((job.future, outcome))
            for loop, settled in by_loop.items():
                # RuntimeError: the loop closed while we evaluated, and nobody waits.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_settle, settled)

    def _take(self, wake: threading.Lock) -> list[_Job[J, R]] | None:
        """Up to batch_max waiting jobs, sleeping until there is one; None once closing."""
        while True:
            with self._lock:
                if self._stopping:
                    return None
                jobs: list[_Job[J, R]] = []
                while self._pending and len(jobs) < self.batch_max:
                    job = self._pending.popleft()
                    if not job.future.done():  # skip callers that already gave up
                        jobs.append(job)
                if jobs:
                    self._running += 1
                    return jobs
                self._sleepers.append(wake)
            wake.acquire()

    # -- end -----------------------------------------------------------------------------------

    def close(self, wait: float = 5.0) -> None:
        """Stop the threads, then close every engine (a busy one when it is given back)."""
        with self._lock:
            self._stopping = True
            sleepers, self._sleepers = self._sleepers, []
            abandoned, self._pending = list(self._pending), collections.deque()
        for sleeper in sleepers:
            sleeper.release()
        for job in abandoned:  # nobody will evaluate them: their callers must not wait forever
            with contextlib.suppress(RuntimeError):
                job.loop.call_soon_threadsafe(
                    _settle, [(job.future, PoolClosed(f"the {self._name} pool is closed"))]
                )
        deadline = time.monotonic() + wait
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._made -= len(idle)
            self._cond.notify_all()
        for engine in idle:
            engine.close()
