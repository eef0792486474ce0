"""Ctrl-C (and SIGTERM) for every command: stop at once, exit 128+signal, leave nothing behind.

Python runs signal handlers on the main thread only, between bytecodes; a
thread inside a ctypes call into OPA's Go code runs no bytecode for as long
as the evaluation takes (and a `KeyboardInterrupt` raised in a ctypes callback
is printed and dropped). So the command runs on a worker thread and the main
thread only waits: the handler runs within milliseconds, removes what the run
made (`konflux.engine.cleanup`: temporary directories, a local registry),
restores the terminal and ends the process with `os._exit`, since a thread
busy in Go cannot be unwound.

A command that can stop cleanly (the controllers) registers a stopper with
`graceful`: the first signal calls it and waits a moment for the command to
end before the hard exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from konflux.engine import cleanup

#: How long a graceful stop may take after Ctrl-C (a user is waiting) and after SIGTERM
#: (a pod is terminating: Kubernetes gives 30 s by default).
GRACE = {signal.SIGINT: 1.0, signal.SIGTERM: 20.0}

_worker: threading.Thread | None = None
_stopper: Callable[[], None] | None = None
_stopping = False


@contextlib.contextmanager
def graceful(stop: Callable[[], None]) -> Iterator[None]:
    """While the block runs, SIGINT/SIGTERM first call `stop` (from the main thread)."""
    global _stopper
    _stopper = stop
    try:
        yield
    finally:
        _stopper = None


def run(command: Callable[[], Any]) -> Any:
    """Run `command` on a worker thread with signals handled here; its result, or its exception."""
    global _worker
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = command()
        except BaseException as exc:  # SystemExit from click included: re-raised below
            outcome["error"] = exc

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    _worker = threading.Thread(target=target, name="konflux-command", daemon=True)
    _worker.start()
    try:
        while _worker.is_alive():
            _worker.join(0.25)  # interruptible: the handler runs while the main thread waits
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _on_signal(signum: int, frame: Any) -> None:
    global _stopping
    if _stopper is not None and not _stopping and _worker is not None:
        _stopping = True
        with contextlib.suppress(Exception):
            _stopper()
        _worker.join(GRACE.get(signal.Signals(signum), 1.0))
    exit_now(128 + signum)


def exit_now(code: int) -> None:
    """Clean up and end the process at once, whatever other threads are doing."""
    if sys.stderr is not None and sys.stderr.isatty():
        # A live progress bar hides the cursor; give it back and clear the bar's line.
        with contextlib.suppress(Exception):
            sys.__stderr__.write("\r\x1b[2K\x1b[?25h")
    cleanup.run_all()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
