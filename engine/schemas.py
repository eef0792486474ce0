"""JSON Schema validators for the engine's own schemas, with the two format checks they use.

`jsonschema` registers a checker for every optional format library it finds at
import time, and importing them costs most of `konflux`'s startup:
`rfc3987_syntax` builds a Lark grammar (about 1 s), `rfc3339_validator` and
`rfc3986_validator` compile large regular expressions (about 0.1 s). Our
schemas (the EnterpriseContractPolicy spec, SLSA provenance) use only the
`date-time` and `uri` formats, so those libraries are hidden while
`jsonschema` is first imported and the two formats are checked here, the way
`ec`'s validator (santhosh-tekuri/jsonschema) checks them: `date-time` is an
RFC 3339 timestamp, `uri` parses and is absolute (has a scheme).
"""

from __future__ import annotations

import re
import sys
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

# Optional format libraries jsonschema would import eagerly; we check our formats ourselves.
_FORMAT_LIBRARIES = (
    "rfc3987",
    "rfc3987_syntax",
    "rfc3986_validator",
    "rfc3339_validator",
    "isoduration",
    "idna",
    "webcolors",
    "fqdn",
    "jsonpointer",
    "uri_template",
)
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)


def _import_jsonschema() -> Any:
    if "jsonschema" in sys.modules:
        return sys.modules["jsonschema"]
    hidden = [name for name in _FORMAT_LIBRARIES if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail
    try:
        import jsonschema
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return jsonschema


def is_datetime(value: object) -> bool:
    """RFC 3339 `date-time` (a non-string is not this check's business, as JSON Schema says)."""
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def is_uri(value: object) -> bool:
    """An absolute URI: it parses and has a scheme (Go's `url.Parse` + `IsAbs`, as `ec`)."""
    if not isinstance(value, str):
        return True
    if any(c.isspace() for c in value):
        return False
    try:
        return bool(urlsplit(value).scheme)
    except ValueError:
        return False


def format_checker() -> Any:
    jsonschema = _import_jsonschema()
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date-time")(is_datetime)
    checker.checks("uri")(is_uri)
    return checker


def validator(schema: dict[str, Any]) -> Any:
    """A Draft 2020-12 validator for `schema`, checking the `date-time` and `uri` formats."""
    jsonschema = _import_jsonschema()
    return jsonschema.Draft202012Validator(schema, format_checker=format_checker())
