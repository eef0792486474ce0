"""Lenient builtins: make OPA's strict builtin errors *undefined*, as `opa`/`ec` do.

The embedded OPA aborts a whole evaluation when a builtin errors
(`time.parse_rfc3339_ns("bad")`, `object.get("str", ...)`), and that cannot be
switched off. `ec` evaluates with non-strict builtin errors, where the failing
call is merely undefined. We restore that behaviour at the source level:

1. `rewrite()` turns each call of an error-prone builtin into a call of a Rego
   wrapper in the generated package `data.konflux_lenient` (same line, so error
   and coverage locations still point at the author's line).
2. Each wrapper guards its operands in Rego (type checks, `regex.is_valid`,
   `json.is_valid`, ...) and only then calls the real builtin: no values cross
   into Python, so sets and non-string keys keep their exact semantics.
3. Builtins whose errors depend on string/number *values* that Rego cannot
   pre-check (`time.parse_rfc3339_ns`, `to_number`, ...) also ask
   `konflux.builtin_ok(name, args)`: Python evaluates the real builtin on a small
   helper engine (one fixed, prepared query per builtin) and answers whether it
   errors. Arguments of those builtins are small scalars, so the JSON round
   trip is exact and cheap.

A builtin error that still escapes (a builtin not in the table) aborts the
query; the caller reports it as a failure naming the rule and the builtin.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from konflux.engine.evaluator._bridge import BridgeEngine, OpaError
from konflux.engine.policy.rego_text import scanner

PACKAGE = "konflux_lenient"
VALIDITY_BUILTIN = "konflux.builtin_ok"


@dataclass(frozen=True)
class Guarded:
    """How to call one builtin safely: its operand guards and whether values are checked."""

    arity: int
    guards: tuple[str, ...]  # one Rego condition per operand, `{}` stands for the operand
    check_value: bool = False


_OBJ = "is_object({})"
_STR = "is_string({})"
_NUM = "is_number({})"
_ARR = "is_array({})"
_COLL = "_collection({})"
_ANY = ""
_REGEX = "_regex({})"
_TIME = "_time_arg({})"

TABLE: dict[str, Guarded] = {
    "object.get": Guarded(3, (_OBJ, _ANY, _ANY)),
    "object.union": Guarded(2, (_OBJ, _OBJ)),
    "object.union_n": Guarded(1, ("_objects({})",)),
    "object.remove": Guarded(2, (_OBJ, "_keys_arg({})")),
    "object.filter": Guarded(2, (_OBJ, "_keys_arg({})")),
    "object.keys": Guarded(1, (_OBJ,)),
    "json.remove": Guarded(2, (_OBJ, _COLL)),
    "json.filter": Guarded(2, (_OBJ, _COLL)),
    "array.concat": Guarded(2, (_ARR, _ARR)),
    "array.slice": Guarded(3, (_ARR, _NUM, _NUM)),
    "array.reverse": Guarded(1, (_ARR,)),
    "regex.match": Guarded(2, (_REGEX, _STR)),
    "regex.split": Guarded(2, (_REGEX, _STR)),
    "regex.find_n": Guarded(3, (_REGEX, _STR, _NUM)),
    "regex.replace": Guarded(3, (_STR, _REGEX, _STR)),
    "regex.find_all_string_submatch_n": Guarded(3, (_REGEX, _STR, _NUM)),
    "startswith": Guarded(2, (_STR, _STR)),
    "endswith": Guarded(2, (_STR, _STR)),
    "indexof": Guarded(2, (_STR, _STR)),
    "lower": Guarded(1, (_STR,)),
    "upper": Guarded(1, (_STR,)),
    "trim": Guarded(2, (_STR, _STR)),
    "trim_space": Guarded(1, (_STR,)),
    "trim_prefix": Guarded(2, (_STR, _STR)),
    "trim_suffix": Guarded(2, (_STR, _STR)),
    "split": Guarded(2, (_STR, _STR)),
    "replace": Guarded(3, (_STR, _STR, _STR)),
    "strings.replace_n": Guarded(2, (_OBJ, _STR)),
    "substring": Guarded(3, (_STR, _NUM, _NUM)),
    "concat": Guarded(2, (_STR, "_strings({})")),
    "sprintf": Guarded(2, (_STR, _ARR)),
    "json.unmarshal": Guarded(1, ("_json({})",)),
    "yaml.unmarshal": Guarded(1, ("_yaml({})",)),
    "base64.decode": Guarded(1, ("_base64({})",)),
    "json.match_schema": Guarded(2, ("_json_doc({})", "_json_doc({})")),
    "semver.compare": Guarded(2, ("_semver({})", "_semver({})")),
    "to_number": Guarded(1, (_ANY,), check_value=True),
    "time.parse_rfc3339_ns": Guarded(1, (_STR,), check_value=True),
    "time.parse_ns": Guarded(2, (_STR, _STR), check_value=True),
    "time.parse_duration_ns": Guarded(1, (_STR,), check_value=True),
    "time.date": Guarded(1, (_TIME,), check_value=True),
    "time.clock": Guarded(1, (_TIME,), check_value=True),
    "time.weekday": Guarded(1, (_TIME,), check_value=True),
    "time.add_date": Guarded(4, (_NUM, _NUM, _NUM, _NUM), check_value=True),
    "time.format": Guarded(1, (_TIME,), check_value=True),
    "base64url.decode": Guarded(1, (_STR,), check_value=True),
    "hex.decode": Guarded(1, (_STR,), check_value=True),
    "units.parse": Guarded(1, (_STR,), check_value=True),
    "units.parse_bytes": Guarded(1, (_STR,), check_value=True),
    "crypto.x509.parse_certificates": Guarded(1, (_STR,), check_value=True),
    "glob.match": Guarded(3, (_STR, _ANY, _STR), check_value=True),
    "net.cidr_contains": Guarded(2, (_STR, _STR), check_value=True),
    "numbers.range": Guarded(2, (_NUM, _NUM), check_value=True),
}

_HELPERS = """
_collection(x) if is_array(x)
_collection(x) if is_set(x)
_keys_arg(x) if _collection(x)
_keys_arg(x) if is_object(x)
_objects(x) if {
	_collection(x)
	every o in x { is_object(o) }
}
_strings(x) if {
	_collection(x)
	every s in x { is_string(s) }
}
_regex(x) if {
	is_string(x)
	regex.is_valid(x)
}
_json(x) if {
	is_string(x)
	json.is_valid(x)
}
_json_doc(x) if not is_string(x)
_json_doc(x) if _json(x)
_yaml(x) if {
	is_string(x)
	yaml.is_valid(x)
}
_base64(x) if {
	is_string(x)
	base64.is_valid(x)
}
_semver(x) if {
	is_string(x)
	semver.is_valid(x)
}
_time_arg(x) if is_number(x)
_time_arg(x) if is_array(x)
"""


def wrapper_name(builtin: str) -> str:
    # A prefix keeps wrappers from shadowing builtin names such as `concat`.
    return "call__" + builtin.replace(".", "__")


def _wrapper(builtin: str, spec: Guarded) -> str:
    args = [f"a{i}" for i in range(spec.arity)]
    conditions = [g.format(a) for g, a in zip(spec.guards, args, strict=True) if g]
    if spec.check_value:
        conditions.append(f'{VALIDITY_BUILTIN}("{builtin}", [{", ".join(args)}])')
    body = "\n\t".join(conditions) or "true"
    arglist = ", ".join(args)
    return f"{wrapper_name(builtin)}({arglist}) := {builtin}({arglist}) if {{\n\t{body}\n}}\n"


@lru_cache(maxsize=1)
def module_source() -> str:
    """The generated Rego module holding one guarded wrapper per table entry."""
    wrappers = "\n".join(_wrapper(name, spec) for name, spec in sorted(TABLE.items()))
    return f"package {PACKAGE}\n\nimport rego.v1\n{_HELPERS}\n{wrappers}"


MODULE_PATH = "konflux/lenient.rego"

# Strings, raw strings and comments are copied untouched (`scanner`); a dotted name is a
# candidate only when not preceded by `.`/identifier chars and followed by `(`.
_TOKEN = scanner(r"(?<![\w.])(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?=\s*\()")


def rewrite(source: str) -> str:
    """Redirect calls of error-prone builtins in a Rego module to their lenient wrappers."""

    def replace(m: re.Match[str]) -> str:
        name = m.group("name")
        if name and name in TABLE:
            return f"data.{PACKAGE}.{wrapper_name(name)}"
        return m.group(0)

    return _TOKEN.sub(replace, source)


def calls(source: str) -> list[tuple[str, int]]:
    """Every dotted name called in a module (outside strings and comments), with its line."""
    found = []
    for m in _TOKEN.finditer(source):
        if m.group("name"):
            found.append((m.group("name"), source.count("\n", 0, m.start()) + 1))
    return found


class BuiltinValidity:
    """Answers whether a builtin call would error, by evaluating it on a helper engine.

    The helper is a bare `BridgeEngine`, the one OPA engine built outside the
    evaluation core, on purpose: it is part of this backend, not a policy
    evaluation. It holds no modules, data or custom builtins, and runs one
    builtin call per `TABLE` entry (a fixed, bounded set of query strings).
    An `OpaEvaluator` would register this very validity builtin on itself and
    rewrite the call it is meant to try.
    """

    def __init__(self) -> None:
        self._engine = BridgeEngine()
        self._engine.print_handler = lambda *_: None
        self._cache: dict[str, bool] = {}

    def __call__(self, name: str, args: list[object]) -> bool:
        if name not in TABLE:
            return False
        key = repr((name, args))
        if key not in self._cache:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = self._evaluates(name, args)
        return self._cache[key]

    def _evaluates(self, name: str, args: list[object]) -> bool:
        params = ", ".join(f"input[{i}]" for i in range(len(args)))
        try:
            self._engine.eval_query(f"x := {name}({params})", args)
        except OpaError:
            return False
        return True

    def close(self) -> None:
        self._engine.close()


ValidityFn = Callable[[str, list[object]], bool]
