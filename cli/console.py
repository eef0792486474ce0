"""The terminal side of the CLI: the stderr console, and log lines that do not tear a progress bar.

Machine output goes to stdout (or `--output FMT=PATH`); progress, log lines
and errors go to stderr. `rich` is imported on first use only, so `--help`
and `--version` do not pay for it.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from typing import Any, TextIO


@functools.cache
def stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def use_color() -> bool:
    """Colour on a terminal stdout, unless NO_COLOR or EC_NO_COLOR is set (as `ec`)."""
    if any(os.environ.get(v) for v in ("NO_COLOR", "EC_NO_COLOR")):
        return False
    return sys.stdout.isatty()


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time: while a progress bar is live, rich
    puts a proxy there that prints the line above the bar instead of through it."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure_logging(debug: bool) -> None:
    from konflux.cli.logs import LogrusFormatter

    handler = _CurrentStderr()
    # The lines `ec` writes (logrus's text format), so log scrapers keep working.
    handler.setFormatter(LogrusFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
