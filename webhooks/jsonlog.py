"""Structured JSON log lines (one object per line on stderr), with the request uid if any.

A traceback goes into the `exception` field of its line, never raw onto stderr.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

EXTRA_FIELDS = ("uid", "path", "allowed", "code", "duration_ms", "kind", "operation", "reason")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in EXTRA_FIELDS:
            if hasattr(record, key):
                doc[key] = getattr(record, key)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def configure(level: int = logging.INFO) -> None:
    """One JSON line per event on stderr, for every logger (aiohttp's, kopf's, warnings too).

    The one handler sits on the root logger and replaces any other there (the CLI's
    plain-text one), so an event is never written twice; `konflux.*` logs from `level`.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    ours = logging.getLogger("konflux")
    ours.handlers.clear()
    ours.propagate = True
    ours.setLevel(min(level, root.level))
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.captureWarnings(True)
