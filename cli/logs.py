"""Log lines as `ec` writes them (logrus's text format); `console.configure_logging` uses it.

`time="2026-01-02T15:04:05Z" level=warning msg="Image signature check skipped"`, with a
record's `fields` (a dict passed as `extra={"fields": {...}}`) appended as `key=value`.
Values are quoted as Go's `%q` quotes them when logrus would quote them.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime

# logrus's level names; Python's CRITICAL is logrus's fatal.
LEVELS = {
    logging.CRITICAL: "fatal",
    logging.ERROR: "error",
    logging.WARNING: "warning",
    logging.INFO: "info",
    logging.DEBUG: "debug",
}
TRACE = 5  # below DEBUG, as logrus's trace
logging.addLevelName(TRACE, "TRACE")
_PLAIN = re.compile(r"^[A-Za-z0-9\-._/@^+]+$")


def _value(text: str) -> str:
    # logrus quotes any value with a character outside its safe set, with Go's %q.
    return text if _PLAIN.match(text) else json.dumps(text, ensure_ascii=False)


class LogrusFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).astimezone()
        stamp = when.isoformat(timespec="seconds").replace("+00:00", "Z")
        level = LEVELS.get(record.levelno, "trace" if record.levelno < logging.DEBUG else "info")
        parts = [f"time={_value(stamp)}", f"level={level}", f"msg={_value(record.getMessage())}"]
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            parts += [f"{k}={_value(str(v))}" for k, v in sorted(fields.items())]
        if record.exc_info:
            parts.append(f"error={_value(self.formatException(record.exc_info))}")
        return " ".join(parts)
