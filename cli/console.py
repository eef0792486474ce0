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


def configure_logging(
    debug: bool,
    *,
    quiet: bool = False,
    verbose: bool = False,
    trace: bool = False,
    logfile: str | None = None,
) -> None:
    """`ec`'s levels: quiet shows errors, the default warnings, verbose and debug debug
    lines, trace everything; `logfile` appends the lines to a file instead of stderr."""
    from konflux.cli.logs import TRACE, LogrusFormatter

    handler: logging.Handler = _CurrentStderr()
    if logfile:
        try:
            handler = logging.FileHandler(logfile, mode="a", encoding="utf-8")
        except OSError as exc:
            sys.stderr.write(
                f'Unable to create log file "{logfile}", log lines will appear on standard '
                f"error. Error was: {exc.strerror}\n"
            )
    # The lines `ec` writes (logrus's text format), so log scrapers keep working.
    handler.setFormatter(LogrusFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    if trace:
        level = TRACE
    elif debug or verbose:
        level = logging.DEBUG
    elif quiet:
        level = logging.ERROR
    else:
        level = logging.WARNING
    root.setLevel(level)
    # Our loggers follow the root's level, whatever a server's JSON logging set before
    # (one process runs several commands: `validate vsa`'s fallback, the tests).
    logging.getLogger("konflux").setLevel(logging.NOTSET)
    # asyncio's own debug lines ("Using selector: ...") are not ec's
    logging.getLogger("asyncio").setLevel(max(level, logging.INFO))
