"""Per-object asyncio locks that do not outlive their use.

The operators serialize reconciles of one object (or one namespace's Snapshot creation)
with a lock per key. A dict of locks kept forever grows with every object ever seen;
here a key's lock is dropped as soon as nobody holds it or waits for it, so the table
holds only the keys in use right now.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable


class KeyedLocks:
    """`async with locks.hold(key):` serializes the holders of one key."""

    def __init__(self) -> None:
        # key -> [lock, holders and waiters]; single event loop, so no lock around this dict
        self._entries: dict[Hashable, list] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = [asyncio.Lock(), 0]
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:  # nobody holds it and nobody waits: forget it
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


__all__ = ["KeyedLocks"]
