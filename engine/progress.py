"""How long-running engine work reports progress: a small callback interface, no UI.

The engine says which phase it is in, how many items the phase has, when one
is done (and whether it failed) and what it is working on now; the CLI draws
that (`konflux.cli.progress`), other callers pass nothing.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, phase: str, total: int | None = None) -> None:
        """A new phase with `total` items (None: not known yet)."""

    def advance(self, n: int = 1, *, failed: int = 0) -> None:
        """`n` items of the phase are done, `failed` of them failed."""

    def note(self, text: str) -> None:
        """What the phase is working on now (a package, an image)."""


class NoProgress:
    """The default: reports nothing."""

    def start(self, phase: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1, *, failed: int = 0) -> None:
        pass

    def note(self, text: str) -> None:
        pass


NO_PROGRESS: Progress = NoProgress()
