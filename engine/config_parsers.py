"""Configuration file parsers for `konflux test`, chosen by file name as conftest chooses them.

Each parser turns a file's bytes into the JSON-like value Rego sees as
`input`. Errors carry conftest's wording (`unmarshal json: ...`) so messages
read as `ec test` users know them; the caller adds `parser unmarshal:` and the
path. Parsers conftest has and we do not (cue, hcl, hocon, jsonnet, ...) are
refused with a clear error instead of being guessed.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from konflux.engine.documents import load_yaml
from konflux.engine.errors import InputError

# conftest's parser names, in its `--parser` help order.
CONFTEST_PARSERS = (
    "cue",
    "cyclonedx",
    "dockerfile",
    "edn",
    "groovy",
    "hcl1",
    "hcl2",
    "hocon",
    "ignore",
    "ini",
    "json",
    "jsonnet",
    "nginx",
    "properties",
    "spdx",
    "textproto",
    "toml",
    "vcl",
    "xml",
    "yaml",
    "dotenv",
)


class ParseError(InputError):
    """A configuration file could not be parsed."""


def _go_json_error(text: str, exc: json.JSONDecodeError) -> str:
    """Go's encoding/json wording for the common syntax errors (conftest users grep for it)."""
    char = text[exc.pos] if exc.pos < len(text) else ""
    if exc.msg.startswith("Invalid control character"):
        return f"invalid character {char!r} in string literal"
    if exc.msg.startswith("Expecting value") and char:
        return f"invalid character {char!r} looking for beginning of value"
    if exc.msg.startswith("Expecting value") or exc.msg.startswith("Unterminated string"):
        return "unexpected end of JSON input"
    if exc.msg.startswith("Extra data"):
        return f"invalid character {char!r} after top-level value"
    if exc.msg.startswith("Expecting ',' delimiter") and char:
        return f"invalid character {char!r} after object key:value pair"
    return f"{exc.msg} at line {exc.lineno} column {exc.colno}"


def parse_json(data: bytes) -> Any:
    text = data.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"unmarshal json: {_go_json_error(text, exc)}") from None


_COMMENTS = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING_COMMA = re.compile(r'"(?:\\.|[^"\\])*"|,(\s*[}\]])')


def parse_jsonc(data: bytes) -> Any:
    text = data.decode("utf-8", "replace")
    text = _COMMENTS.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)
    text = _TRAILING_COMMA.sub(lambda m: m.group(1) if m.group(1) else m.group(0), text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"unmarshal jsonc: {_go_json_error(text, exc)}") from None


def parse_yaml(data: bytes) -> Any:
    """One document as a value; several (`---`) as a list of documents, as conftest."""
    text = data.decode("utf-8", "replace")
    linebreak = "\r\n" if "\r\n" in text else "\n"
    parts = text.split(f"{linebreak}---{linebreak}")
    try:
        if len(parts) > 1 and not text.startswith("%"):
            return [load_yaml(p) for p in parts]
        return load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise ParseError(f"unmarshal yaml: {where}{getattr(exc, 'problem', None) or exc}") from None


def parse_toml(data: bytes) -> Any:
    try:
        return tomllib.loads(data.decode("utf-8", "replace"))
    except tomllib.TOMLDecodeError as exc:
        raise ParseError(f"unmarshal toml: {exc}") from None


_GO_BOOLS = {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}


def _typed(value: str) -> Any:
    """ini values as conftest types them: numbers first, then Go's booleans, else the text."""
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None and value.strip().lower().lstrip("+-") not in {"nan", "inf", "infinity"}:
        return number
    if value in _GO_BOOLS:
        return value in {"1", "t", "T", "TRUE", "true", "True"}
    return value


def parse_ini(data: bytes) -> Any:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    try:
        parser.read_string(data.decode("utf-8", "replace"))
    except configparser.Error as exc:
        raise ParseError(f"read ini file: {exc}") from None
    return {s: {k: _typed(v) for k, v in parser.items(s, raw=True)} for s in parser.sections()}


def _key_values(data: bytes, what: str, *, export: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = data.decode("utf-8", "replace").splitlines()
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        if export and line.startswith("export "):
            line = line[len("export ") :].lstrip()
        match = re.match(r"^([^=:\s]+)\s*[=:]\s*(.*)$", line) or re.match(r"^(\S+)\s+(.*)$", line)
        if not match:
            raise ParseError(f"{what}: line {number}: expected KEY=VALUE, got {raw!r}")
        key, value = match.group(1), match.group(2)
        if export and value[:1] in {'"', "'"}:
            try:
                value = shlex.split(value)[0] if value.strip(value[0]) else ""
            except ValueError as exc:
                raise ParseError(f"{what}: line {number}: {exc}") from None
        out[key] = value
    return out


def parse_properties(data: bytes) -> Any:
    return _key_values(data, "parse properties file", export=False)


def parse_dotenv(data: bytes) -> Any:
    return _key_values(data, "read .env file", export=True)


def parse_ignore(data: bytes) -> Any:
    """`.gitignore`-style files: one entry per pattern line, as conftest's `[[entries]]`."""
    entries = []
    for line in data.decode("utf-8", "replace").splitlines():
        kind = "Empty" if not line.strip() else "Comment" if line.startswith("#") else "Pattern"
        entries.append({"Kind": kind, "Value": line, "Original": line})
    return [entries]


_DIRECTIVE = re.compile(r"^\s*([A-Za-z]+)\s*(.*)$")


def parse_dockerfile(data: bytes) -> Any:
    """Dockerfile instructions as conftest's `[[{Cmd, SubCmd, JSON, Flags, Value, Stage}]]`."""
    commands: list[dict[str, Any]] = []
    stage = -1
    pending_comments: list[str] = []
    logical = ""
    for raw in [*data.decode("utf-8", "replace").splitlines(), ""]:
        line = raw.rstrip()
        if not logical and line.lstrip().startswith("#"):
            pending_comments.append(line.lstrip()[1:].strip())
            continue
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        if not logical.strip():
            logical = ""
            continue
        match = _DIRECTIVE.match(logical)
        logical = ""
        if not match:
            raise ParseError("parse dockerfile: unknown instruction")
        cmd, rest = match.group(1).lower(), match.group(2).strip()
        if cmd == "from":
            stage += 1
        flags = []
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            flags.append(flag)
            rest = rest.lstrip()
        for comment in pending_comments:
            commands.append(
                {
                    "Cmd": "comment",
                    "SubCmd": "",
                    "JSON": False,
                    "Flags": None,
                    "Value": [comment],
                    "Stage": max(stage, 0),
                }
            )
        pending_comments = []
        as_json = False
        values: list[str]
        if rest.startswith("["):
            try:
                parsed = json.loads(rest)
                values, as_json = [str(v) for v in parsed], True
            except ValueError:
                values = rest.split()
        elif cmd in {"run", "cmd", "entrypoint", "shell"}:
            values = [rest]
        elif cmd in {"env", "label", "arg"} and "=" in rest:
            values = []
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                values += [key, value]
        elif cmd in {"env"}:
            key, _, value = rest.partition(" ")
            values = [key, value.strip()]
        else:
            values = rest.split()
        commands.append(
            {
                "Cmd": cmd,
                "SubCmd": "",
                "JSON": as_json,
                "Flags": flags,
                "Value": values,
                "Stage": max(stage, 0),
            }
        )
    return [commands]


PARSERS: dict[str, Callable[[bytes], Any]] = {
    "json": parse_json,
    "jsonc": parse_jsonc,
    "yaml": parse_yaml,
    "toml": parse_toml,
    "ini": parse_ini,
    "properties": parse_properties,
    "dotenv": parse_dotenv,
    "ignore": parse_ignore,
    "dockerfile": parse_dockerfile,
    "cyclonedx": parse_json,
    "spdx": parse_json,
}


def parser_named(name: str) -> Callable[[bytes], Any]:
    if name in PARSERS:
        return PARSERS[name]
    if name in CONFTEST_PARSERS:
        raise ParseError(
            f"the {name} parser of conftest is not supported by konflux test "
            f"(supported: {', '.join(sorted(PARSERS))})"
        )
    raise ParseError(f"unknown parser: {name}")


def parser_for(path: str) -> str:
    """The parser conftest picks for a file name (`-` is YAML on stdin)."""
    if path == "-":
        return "yaml"
    name = Path(path).name.lower()
    ext = Path(path).suffix[1:].lower()
    if name == "dockerfile" or name.startswith("dockerfile.") or ext == "dockerfile":
        return "dockerfile"
    if ext in {"yml", "yaml"}:
        return "yaml"
    if ext in {"hcl", "tf", "tfvars"}:
        return "hcl2"
    if ext in {"gitignore", "dockerignore"}:
        return "ignore"
    if name == ".env" or name.startswith(".env.") or ext == "env":
        return "dotenv"
    if name == "nginx.conf":
        return "nginx"
    if name == "jenkinsfile" or name.startswith("jenkinsfile."):
        return "groovy"
    if ext in {"textproto", "textpb", "pbtxt"}:
        return "textproto"
    if ext in PARSERS or ext in CONFTEST_PARSERS:
        return ext
    raise ParseError(f"new: unknown parser: {ext}")


def supported(path: str) -> bool:
    """Whether a directory walk picks this file up (conftest skips unknown kinds)."""
    try:
        return parser_for(path) in CONFTEST_PARSERS or parser_for(path) in PARSERS
    except ParseError:
        return False
