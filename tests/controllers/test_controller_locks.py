"""The operators' per-object locks: one holder per key at a time, and no lock kept for a
key nobody holds or waits on (the table stays bounded however many objects pass)."""

from __future__ import annotations

import asyncio

from konflux.controllers.locks import KeyedLocks
from konflux.controllers.operators import OperatorConfig


def test_locks_of_finished_keys_are_dropped():
    config = OperatorConfig()

    async def main() -> None:
        for i in range(1000):
            async with config.lock("snapshot", "t", f"s{i}"):
                assert len(config.locks) == 1

    asyncio.run(main())
    assert len(config.locks) == 0


def test_one_holder_per_key_and_the_lock_lives_while_someone_waits():
    locks = KeyedLocks()
    order: list[str] = []

    async def worker(name: str, started: asyncio.Event | None, release: asyncio.Event) -> None:
        async with locks.hold(("release", "t", "r1")):
            order.append(f"{name} in")
            if started is not None:
                started.set()
            await release.wait()
            order.append(f"{name} out")

    async def main() -> None:
        started, release = asyncio.Event(), asyncio.Event()
        first = asyncio.create_task(worker("a", started, release))
        await started.wait()
        second = asyncio.create_task(worker("b", None, release))
        await asyncio.sleep(0.01)  # b is waiting on a's lock
        assert order == ["a in"] and len(locks) == 1
        release.set()
        await asyncio.gather(first, second)
        assert len(locks) == 0

    asyncio.run(main())
    assert order == ["a in", "a out", "b in", "b out"]


def test_a_cancelled_waiter_does_not_leak_its_key():
    locks = KeyedLocks()

    async def main() -> None:
        async with locks.hold("k"):
            waiter = asyncio.create_task(_hold(locks, "k"))
            await asyncio.sleep(0.01)
            waiter.cancel()
            await asyncio.gather(waiter, return_exceptions=True)
            assert len(locks) == 1  # still held by us
        assert len(locks) == 0

    asyncio.run(main())


async def _hold(locks: KeyedLocks, key: str) -> None:
    async with locks.hold(key):
        pass
