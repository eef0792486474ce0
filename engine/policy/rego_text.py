"""Scanning Rego source text without a parser: strings, raw strings and comments skipped.

Both the lenient builtin rewrite and the webhook's input scan look for a few
token shapes in module text; a match inside a string or a comment must not
count. `scanner(token)` builds one pattern that matches either such a span
(left untouched by callers) or `token`, whose named groups tell them apart.
"""

from __future__ import annotations

import re

# A double-quoted string (with escapes), a raw string, or a comment to the end of the line.
SKIPPED = r'"(?:[^"\\\n]|\\.)*"' + r"|`[^`]*`" + r"|#[^\n]*"


def scanner(token: str) -> re.Pattern[str]:
    """A pattern matching a string, raw string or comment, or else `token` (give it a group)."""
    return re.compile(f"{SKIPPED}|{token}")
