"""JSON logs of the long-running servers (`webhook serve`, `validate input --server`):
one JSON line per event on stderr, a traceback inside the line's `exception` field.

A real process sets logging up as the `konflux` entry point does (the CLI's plain-text
handler on the root logger first), then as the servers do (`jsonlog.configure`), and
logs what a server meets: an unexpected error with its traceback (the webhook's last
resort), aiohttp's and asyncio's own error records, a Python warning, and a message
with newlines in it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio, logging, warnings

    from konflux.cli.console import configure_logging
    from konflux.webhooks import jsonlog

    configure_logging(False)  # what the entry point leaves on the root logger
    jsonlog.configure(logging.INFO)

    def nested():
        raise KeyError("deep inside")

    try:
        nested()
    except KeyError:
        logging.getLogger("konflux.webhooks").exception(
            "unexpected error", extra={"path": "/validate-component"}
        )
    try:
        raise ConnectionResetError("peer went away")
    except ConnectionResetError as exc:
        logging.getLogger("aiohttp.server").error("Error handling request", exc_info=exc)

    async def loop_error():
        try:
            raise RuntimeError("in a callback")
        except RuntimeError as exc:
            asyncio.get_running_loop().call_exception_handler(
                {"message": "Task exception was never retrieved", "exception": exc}
            )

    asyncio.run(loop_error())
    warnings.warn("a deprecated thing", DeprecationWarning, stacklevel=1)
    logging.getLogger("konflux.webhooks").info("line one\\nline two")
    """
)


def test_every_event_is_one_json_line_with_its_traceback_in_a_field():
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert [(e["logger"], e["level"]) for e in events] == [
        ("konflux.webhooks", "error"),
        ("aiohttp.server", "error"),
        ("asyncio", "error"),
        ("py.warnings", "warning"),
        ("konflux.webhooks", "info"),
    ]
    unexpected, aiohttp_error, loop_error, warning, multiline = events
    assert unexpected["msg"] == "unexpected error"
    assert unexpected["path"] == "/validate-component"
    assert unexpected["exception"].startswith("Traceback (most recent call last):")
    assert "in nested" in unexpected["exception"]
    assert unexpected["exception"].endswith("KeyError: 'deep inside'")
    assert aiohttp_error["exception"].endswith("ConnectionResetError: peer went away")
    assert loop_error["exception"].endswith("RuntimeError: in a callback")
    assert "DeprecationWarning: a deprecated thing" in warning["msg"]
    assert multiline["msg"] == "line one\nline two"  # kept, escaped inside its one line
    assert not any(line.startswith(("Traceback", "  File", "INFO", "ERROR")) for line in lines)
