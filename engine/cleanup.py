"""What a run leaves behind, removed at exit and on Ctrl-C: temporary directories, child processes.

`atexit` covers a normal exit. An interrupted CLI exits with `os._exit` (the
OPA engine may be busy in Go on another thread and cannot be unwound), which
skips `atexit`, so the interrupt handler calls `run_all` itself first.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

_lock = threading.Lock()
_actions: dict[int, Callable[[], object]] = {}
_ids = itertools.count()


def on_exit(action: Callable[[], object]) -> int:
    """Run `action` at exit (or on Ctrl-C); returns a handle for `cancel`."""
    with _lock:
        handle = next(_ids)
        _actions[handle] = action
    return handle


def cancel(handle: int) -> None:
    """Forget an action that has been done already (a registry stopped, a directory removed)."""
    with _lock:
        _actions.pop(handle, None)


def temporary_directory(prefix: str) -> Path:
    """A new directory under the system temp dir, removed when the process ends."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    on_exit(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


def run_all() -> None:
    """Run every pending action, newest first; a failing action does not stop the others."""
    with _lock:
        pending = sorted(_actions.items(), reverse=True)
        _actions.clear()
    for _, action in pending:
        with contextlib.suppress(Exception):  # best effort: the process is ending
            action()


atexit.register(run_all)
