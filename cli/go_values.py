"""Flag values as `ec` (Go's flag parsing) reads them: durations and booleans.

- Durations are Go's `time.ParseDuration`: a sequence of decimal numbers with units
  `ns`, `us`/`µs`, `ms`, `s`, `m`, `h` (`1h30m`, `3s`, `500ms`, `-1.5h`), or `0`.
  `validate vsa`'s expiration also takes `d`, `w` and `mo` as `ec` does there.
- Booleans are Go's `strconv.ParseBool`: 1, t, T, TRUE, true, True, 0, f, F, FALSE,
  false, False.
"""

from __future__ import annotations

import re

import click

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_LONG_UNITS = {"d": 86400.0, "w": 7 * 86400.0, "mo": 30 * 86400.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([a-zµμ]+)")
TRUE = {"1", "t", "T", "TRUE", "true", "True"}
FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def parse_duration(text: str, *, long_units: bool = False) -> float:
    """Seconds in a Go duration string; ValueError with Go's wording when it is not one."""
    value = text.strip()
    if value in ("0", "+0", "-0"):
        return 0.0
    sign = -1.0 if value.startswith("-") else 1.0
    body = value.lstrip("+-")
    units = {**_UNITS, **(_LONG_UNITS if long_units else {})}
    total, pos = 0.0, 0
    if not body:
        raise ValueError(f'time: invalid duration "{text}"')
    for m in _PART.finditer(body):
        if m.start() != pos:
            break
        number, unit = m.groups()
        if unit not in units:
            raise ValueError(f'time: unknown unit "{unit}" in duration "{text}"')
        total += float(number) * units[unit]
        pos = m.end()
    if pos != len(body):
        if re.fullmatch(r"\d+(\.\d*)?", body):
            raise ValueError(f'time: missing unit in duration "{text}"')
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * total


def parse_bool(text: str) -> bool:
    """Go's strconv.ParseBool; ValueError with Go's wording otherwise."""
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f'strconv.ParseBool: parsing "{text}": invalid syntax')


def format_duration(seconds: float) -> str:
    """Go's Duration.String (`168h0m0s`, `3s`, `1m30s`, `1.5s`, `500ms`, `20µs`, `1ns`)."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 1:  # Go switches to the largest unit below a second that keeps a whole part
        for unit, size in (("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
            if s >= size or unit == "ns":
                return f"{sign}{round(s / size, 9):g}{unit}"
    hours, rest = divmod(s, 3600)
    minutes, secs = divmod(rest, 60)
    secs_text = f"{secs:g}s"
    if hours:
        return f"{sign}{int(hours)}h{int(minutes)}m{secs_text}"
    if minutes:
        return f"{sign}{int(minutes)}m{secs_text}"
    return f"{sign}{secs_text}"


class GoDuration(click.ParamType):
    """A click type: a Go duration (`5m`, `3s`, `1h30m`, `0`) or plain seconds, as seconds."""

    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            try:
                seconds = parse_duration(text)
            except ValueError as exc:
                self.fail(str(exc), param, ctx)
        if seconds < 0:
            self.fail(f"{text} is negative", param, ctx)
        return seconds
