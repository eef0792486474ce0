"""Reading JSON and YAML documents with errors that name the file, line and column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from konflux.engine.errors import InputError


class _Loader(yaml.SafeLoader):
    """YAML loader that keeps timestamps as their text, as Go's YAML-to-JSON conversion does."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


def parse_text(text: str, origin: str, error: type[Exception] = InputError) -> Any:
    """Parse JSON or YAML text (JSON first: it is the common, exact case)."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            json_error = f"{origin}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"
            try:
                return load_yaml(text)
            except yaml.YAMLError:
                raise error(json_error) from None
    try:
        docs = [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}:{mark.column + 1}" if mark else origin
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{where}: invalid YAML: {problem}") from None
    if len(docs) > 1:
        raise error(f"{origin}: expected one YAML document, found {len(docs)}")
    return docs[0] if docs else None


def read_document(path: str | Path, error: type[Exception] = InputError) -> Any:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{p}: no such file") from None
    except IsADirectoryError:
        raise error(f"{p}: is a directory, expected a JSON or YAML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{p}: cannot read: {exc}") from None
    return parse_text(text, str(p), error)
