"""The progress bar: what the engine reports (`konflux.engine.progress`), drawn with rich on stderr.

Only on a terminal, and transient: it is gone when the command prints its
report. It shows the phase, `n/N` items (the total is recounted when a phase
learns it, e.g. after an image index expands into its platforms), failures as
they happen, what is being worked on, and — when a registry is slow — which
host the run is waiting on and for how long. Log lines and warnings are
printed above it (see `konflux.cli.console`).
"""

from __future__ import annotations

import io
import sys
from types import TracebackType
from typing import TYPE_CHECKING, Any

from konflux.cli.console import stderr

if TYPE_CHECKING:  # the registry client (aiohttp) is loaded only by commands that use it
    from konflux.engine.oci.in_flight import InFlight

# A request open longer than this is worth naming: the registry is slow or not answering.
SLOW_REQUEST_SECONDS = 1.0


class ProgressDisplay:
    """Implements `konflux.engine.progress.Progress` with a rich progress bar."""

    def __init__(
        self, unit: str, *, in_flight: InFlight | None = None, console: Any = None
    ) -> None:
        self.unit = unit
        self.in_flight = in_flight
        self._console = console  # default: the stderr console, when stderr is a terminal
        self._bar: Any = None
        self._task: Any = None
        self._failed = 0

    def __enter__(self) -> ProgressDisplay:
        console = self._console
        if console is None:
            if not sys.stderr.isatty():
                return self  # nothing to draw (and rich not even loaded): methods do nothing
            console = stderr()
        from rich.progress import BarColumn, Progress, SpinnerColumn, TimeElapsedColumn

        self._bar = Progress(
            SpinnerColumn(),
            "[progress.description]{task.description}",
            BarColumn(bar_width=24),
            "{task.fields[count]}",
            "{task.fields[failures]}",
            _Activity(self),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._bar.__enter__()
        self._task = self._bar.add_task("starting", total=None, count="", failures="", note="")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, tb)
            self._bar = None

    # -- konflux.engine.progress.Progress -----------------------------------------------------

    def start(self, phase: str, total: int | None = None) -> None:
        if self._bar is None:
            return
        self._failed = 0
        self._bar.reset(self._task, total=total, description=phase, count="", failures="", note="")
        self._count()

    def advance(self, n: int = 1, *, failed: int = 0) -> None:
        if self._bar is None:
            return
        self._failed += failed
        self._bar.advance(self._task, n)
        self._count()

    def note(self, text: str) -> None:
        if self._bar is not None:
            from rich.markup import escape

            self._bar.update(self._task, note=escape(text))

    def text(self) -> str:
        """What the bar shows now, as plain text."""
        if self._bar is None:
            return ""
        from rich.console import Console

        plain = Console(width=200, record=True, color_system=None, file=io.StringIO())
        plain.print(self._bar.get_renderable())
        return plain.export_text().strip()

    # -- drawing ------------------------------------------------------------------------------

    def _count(self) -> None:
        task = self._bar.tasks[0]
        done = int(task.completed)
        count = f"{done}/{int(task.total)} {self.unit}" if task.total is not None else ""
        failures = f"[red]{self._failed} failed[/]" if self._failed else ""
        self._bar.update(self._task, count=count, failures=failures)

    def activity(self, note: str) -> str:
        """What to show after the counts: the host a slow request waits on, else the note."""
        slow = self.in_flight.oldest() if self.in_flight is not None else None
        if slow is not None and slow[1] >= SLOW_REQUEST_SECONDS:
            host, seconds = slow
            return f"[yellow]waiting for {host} ({seconds:.0f}s)[/]"
        return note


def _Activity(display: ProgressDisplay) -> Any:
    # A column drawn on every refresh (10 per second), so a stalled request shows as it stalls.
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Activity(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text.from_markup(display.activity(str(task.fields.get("note", ""))))

    return Activity()
