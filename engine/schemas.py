"""JSON Schema validators for the engine's own schemas, imported without the slow extras.

`jsonschema` registers a format checker for every optional library it finds at
import time. With the `format-nongpl` extra that includes `rfc3987_syntax`,
which builds a Lark grammar on import (about 1 s, most of `konflux`'s startup),
and `isoduration` (which pulls in `arrow`). Our schemas only use the
`date-time` and `uri` formats (`rfc3339_validator`, `rfc3986_validator`), so
those two libraries are hidden while `jsonschema` is first imported; the
`iri`, `iri-reference` and `duration` formats are then not checked.
"""

from __future__ import annotations

import sys
from typing import Any

# Optional format libraries jsonschema would import eagerly; none checks a format we use.
_SLOW_FORMAT_LIBRARIES = ("rfc3987_syntax", "isoduration")


def _import_jsonschema() -> Any:
    if "jsonschema" in sys.modules:
        return sys.modules["jsonschema"]
    hidden = [name for name in _SLOW_FORMAT_LIBRARIES if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail
    try:
        import jsonschema
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return jsonschema


def validator(schema: dict[str, Any]) -> Any:
    """A Draft 2020-12 validator for `schema`, checking the formats `jsonschema` knows."""
    jsonschema = _import_jsonschema()
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
