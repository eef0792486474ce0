"""Reading JSON and YAML documents, within limits, with errors that name the file, line and column.

Every document the verification path reads comes through here: input files,
AdmissionReview bodies, policy data, registry manifests, signature and
attestation payloads, files from image layers. Three things Python's parsers
let through are refused with a located `DocumentError` (a `ValueError`, so
callers that already handle malformed JSON handle these too):
- nesting deeper than the `nesting` limit (Python's parsers recurse, and the
  document is walked again to reach OPA);
- integers of more digits than Python converts (`sys.get_int_max_str_digits`,
  4300 by default; raise with PYTHONINTMAXSTRDIGITS);
- YAML whose aliases expand past the `yaml-alias-expansion` limit (a few
  hundred bytes of nested aliases otherwise expand to gigabytes), or refer to
  themselves.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from konflux.engine import limits
from konflux.engine.errors import InputError


class DocumentError(ValueError):
    """A document that cannot be used: where (line and column, 1-based) and why."""

    def __init__(self, msg: str, lineno: int = 0, colno: int = 0, *, limit: str | None = None):
        self.msg, self.lineno, self.colno, self.limit = msg, lineno, colno, limit
        super().__init__(f"{msg} at line {lineno} column {colno}" if lineno else msg)

    def located(self, origin: str) -> str:
        where = f"{origin}:{self.lineno}:{self.colno}" if self.lineno else origin
        return f"{where}: {self.msg}"


# -- JSON -----------------------------------------------------------------------------------------

# A JSON string (skipped), a bracket, or a run of digits long enough to matter.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|([\[\]{}])|(\d{100,})')


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _json_problem(text: str, depth_limit: int) -> DocumentError | None:
    """The first place `text` nests too deeply or holds a too-long integer, if any.

    Only texts that could have such a place are scanned (enough brackets, a long run of
    digits), so ordinary documents pay two `count`s and one search.
    """
    digits = sys.get_int_max_str_digits() or 0
    deep = text.count("[") + text.count("{") > depth_limit
    long_number = bool(digits) and re.search(rf"\d{{{digits + 1}}}", text) is not None
    if not deep and not long_number:
        return None
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        bracket, number = m.group(1), m.group(2)
        if bracket in ("[", "{"):
            depth += 1
            if depth > depth_limit:
                return DocumentError(
                    f"nested too deeply: more than {depth_limit} levels (the nesting limit)",
                    *_position(text, m.start()),
                    limit="nesting",
                )
        elif bracket:
            depth -= 1
        elif number and digits and len(number) > digits:
            return DocumentError(
                f"an integer of {len(number)} digits (at most {digits} are read; "
                "PYTHONINTMAXSTRDIGITS raises it)",
                *_position(text, m.start()),
                limit="integer digits",
            )
    return None


def _text(data: str | bytes | bytearray) -> str:
    if isinstance(data, str):
        return data
    try:
        return bytes(data).decode(json.detect_encoding(data))
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None


def json_loads(data: str | bytes | bytearray, **options: Any) -> Any:
    """`json.loads` within the limits; every failure is a `ValueError` saying where.

    A `json.JSONDecodeError` passes through unchanged; the limits raise `DocumentError`.
    """
    text = _text(data)
    problem = _json_problem(text, limits.current().nesting)
    if problem is not None:
        raise problem
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise DocumentError("nested too deeply to read", limit="nesting") from None


# -- YAML -----------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """The safe loader within the limits, keeping timestamps as their text.

    Timestamps stay strings, as Go's YAML-to-JSON conversion leaves them. Composing
    counts the depth (a located error past the nesting limit, before Python's own
    recursion limit), and each composed document's alias expansion is measured before
    any of it is constructed.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._limits = limits.current()

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > self._limits.nesting:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested too deeply: more than {self._limits.nesting} levels (the nesting "
                    "limit)",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> Any:
        node = super().compose_document()
        _check_expansion(node, self._limits.yaml_alias_expansion)
        return node

    def construct_yaml_int(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"an integer of {len(str(node.value))} digits (at most "
                f"{sys.get_int_max_str_digits()} are read; PYTHONINTMAXSTRDIGITS raises it)",
                node.start_mark,
            ) from None


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def _check_expansion(root: yaml.Node | None, limit: int) -> None:
    """Refuse a composed document whose aliases expand past `limit`, or into themselves.

    A node reached through an alias is the same object as its anchor, so the
    composed graph is small; what it expands to is the size of the tree with
    every alias copied out. Sizes are memoized per node (a DAG walk): a node
    weighs 1, plus its scalar's length, plus what its children weigh.
    """
    if root is None:
        return
    weight: dict[int, int] = {}
    distinct = 0
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            on_path.discard(key)
            weight[key] = (
                1
                + (len(node.value) if isinstance(node, yaml.ScalarNode) else 0)
                + sum(weight[id(c)] for c in children)
            )
            continue
        if key in weight:
            continue
        if key in on_path:
            raise yaml.composer.ComposerError(
                None, None, "an alias refers to a node that contains it", node.start_mark
            )
        distinct += 1 + (len(node.value) if isinstance(node, yaml.ScalarNode) else 0)
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                raise yaml.composer.ComposerError(
                    None, None, "an alias refers to a node that contains it", child.start_mark
                )
            if id(child) not in weight:
                stack.append((child, False))
    added = weight[id(root)] - distinct
    if added > limit:
        raise yaml.composer.ComposerError(
            None,
            None,
            f"aliases expand the document by {added:,} nodes and characters, past the "
            f"yaml-alias-expansion limit of {limit:,}",
            root.start_mark,
        )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def yaml_error(exc: yaml.YAMLError) -> DocumentError:
    """A YAML error as a `DocumentError` (located when the parser knew where)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    limit = next((n for n in ("yaml-alias-expansion", "nesting") if n in problem), None)
    limit = limit or ("integer digits" if "PYTHONINTMAXSTRDIGITS" in problem else None)
    if mark is None:
        return DocumentError(f"invalid YAML: {problem}", limit=limit)
    return DocumentError(f"invalid YAML: {problem}", mark.line + 1, mark.column + 1, limit=limit)


def load_yaml(text: str) -> Any:
    """One YAML document within the limits; a `yaml.YAMLError` (located, when the parser
    knew where) when it cannot be read: `yaml_error` makes it a `DocumentError`."""
    try:
        return yaml.load(text, Loader=_Loader)
    except RecursionError:
        raise yaml.YAMLError("nested too deeply to read (the nesting limit)") from None


def load_yaml_all(text: str) -> list[Any]:
    """Every document of a YAML stream, within the limits (see `load_yaml`)."""
    try:
        return list(yaml.load_all(text, Loader=_Loader))
    except RecursionError:
        raise yaml.YAMLError("nested too deeply to read (the nesting limit)") from None


# -- files and texts --------------------------------------------------------------------------


def parse_text(text: str, origin: str, error: type[Exception] = InputError) -> Any:
    """Parse JSON or YAML text (JSON first: it is the common, exact case)."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json_loads(text)
        except DocumentError as exc:
            raise error(exc.located(origin)) from None
        except json.JSONDecodeError as exc:
            json_error = f"{origin}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"
            try:
                return load_yaml(text)
            except yaml.YAMLError:
                raise error(json_error) from None
    try:
        docs = [d for d in load_yaml_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise error(yaml_error(exc).located(origin)) from None
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
