"""A report target as `ec` spells it: `FORMAT[=PATH][?show-successes=BOOL&show-warnings=BOOL]`."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from konflux.engine.report import Report


@dataclass(frozen=True)
class OutputTarget:
    format: str
    path: str | None = None
    show_successes: bool | None = None
    show_warnings: bool | None = None

    @classmethod
    def parse(cls, spec: str, formats: tuple[str, ...], default: str) -> OutputTarget:
        head, _, query = spec.partition("?")
        fmt, _, path = head.partition("=")
        fmt = fmt or default
        if fmt not in formats:
            raise ValueError(
                # `ec`'s words (Go's %q quoting), then what would have been accepted
                f"{json.dumps(fmt)} is not a valid report format (choose from {', '.join(formats)})"
            )
        opts = {k: v[-1].lower() for k, v in parse_qs(query).items()}
        unknown = set(opts) - {"show-successes", "show-warnings"}
        if unknown:
            raise ValueError(f"unknown output option(s) {', '.join(sorted(unknown))} in {spec!r}")

        def flag(name: str) -> bool | None:
            if name not in opts:
                return None
            if opts[name] not in ("true", "false"):
                raise ValueError(f"{name} must be true or false in {spec!r}")
            return opts[name] == "true"

        return cls(fmt, path or None, flag("show-successes"), flag("show-warnings"))

    def apply(self, report: Report) -> Report:
        changes: dict[str, bool] = {}
        if self.show_successes is not None:
            changes["show_successes"] = self.show_successes
        if self.show_warnings is not None:
            changes["show_warnings"] = self.show_warnings
        return dataclasses.replace(report, **changes) if changes else report
