"""Structured JSON log lines (one object per line on stderr), with the request uid if any."""

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
    """JSON lines on stderr for this process (`konflux webhook serve`), one per record.

    The lines carry none of the caller, thread or process fields, so the records
    do not gather them (the logging HOWTO's "Optimization" switches): one line is
    written per admission request, on the event loop's thread.
    """
    logging._srcfile = None  # no caller lookup (a stack walk per record)
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("konflux")
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
