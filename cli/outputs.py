"""Report targets (`--output FORMAT[=PATH]`): checked before a run, all written after it.

A run can take minutes; a target that can be seen to be unwritable beforehand
(a missing directory, a directory given as the file) is a usage error before
anything runs. After the run every target that can be written is written,
even when another one fails (stdout on a full disk, a file removed
meanwhile), and the failures are named together: exit 1.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click

from konflux.cli.command import Failed
from konflux.engine.choices import APPSTUDIO_FORMATS, IMAGE_FORMATS
from konflux.engine.output.target import OutputTarget

Render = Callable[[OutputTarget], str]


def parse_targets(specs: tuple[str, ...], formats: tuple[str, ...]) -> list[OutputTarget]:
    """The targets of `--output` values, each checked for writability; default: text on stdout."""
    try:
        targets = [OutputTarget.parse(s, formats, "text") for s in specs] or [OutputTarget("text")]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--output'") from None
    for t in targets:
        problem = _unwritable(t.path) if t.path else None
        if problem:
            raise click.BadParameter(
                f"cannot write the {t.format} report to {t.path}: {problem}",
                param_hint="'--output'",
            )
    return targets


def _unwritable(path: str) -> str | None:
    """Why a report could not be written to `path`, as far as can be known before writing."""
    p = Path(path)
    if p.is_dir():
        return "it is a directory"
    parent = p.parent
    if not parent.exists():
        return f"no such directory {parent}"
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if p.exists() and not os.access(p, os.W_OK):
        return "permission denied"
    if not p.exists() and not os.access(parent, os.W_OK):
        return f"permission denied to create files in {parent}"
    return None


def write_reports(targets: list[OutputTarget], render: Render) -> None:
    """Write every target; raise `Failed` naming each one that could not be written."""
    failures = []
    for t in targets:
        try:
            write(render(t), t.path)
        except OSError as exc:
            failures.append(f"could not write the {t.format} report to {_where(t)}: {_reason(exc)}")
    if failures:
        raise Failed("\n".join(failures))


def write_error_documents(specs: list[str], activity: str, exc: Exception) -> None:
    """The appstudio ERROR document for every appstudio target among `specs`, as far as possible.

    Called when a run fails, including on usage errors before the options are parsed,
    so a pipeline's TEST_OUTPUT always says what happened.
    """
    from konflux.engine.output.documents import error_document

    message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
    for spec in specs:
        try:
            t = OutputTarget.parse(spec, IMAGE_FORMATS, "text")
        except ValueError:
            continue
        if t.format not in APPSTUDIO_FORMATS:
            continue
        doc = error_document(activity, Exception(message), datetime.now(UTC))
        with contextlib.suppress(OSError):  # the error itself is reported on stderr
            write(json.dumps(doc, separators=(",", ":")) + "\n", t.path)


def write(text: str, path: str | None) -> None:
    if path:
        Path(path).write_text(text, encoding="utf-8")
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError:
        _discard_stdout()
        raise


def _discard_stdout() -> None:
    # What could not be written stays in the buffer and Python would try again at exit,
    # with a second, raw error; point stdout at /dev/null so that attempt succeeds.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _where(t: OutputTarget) -> str:
    return t.path or "stdout"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOENT and exc.filename:
        return f"no such directory {Path(exc.filename).parent}"
    return exc.strerror or str(exc)
