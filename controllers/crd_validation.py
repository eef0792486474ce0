"""What the Kubernetes API server does to a custom resource before it stores it, from its CRD.

No API server can run here, yet objects users bring from upstream Konflux must be
judged as one would judge them: this module applies a CRD's structural schema the
way the apiextensions server does, in its order: unknown fields pruned (reported as
warnings, as `kubectl` shows them), `default`s filled in, then validation (types,
formats, patterns, lengths, enums, `required`, `oneOf`/`anyOf`/`allOf`/`not`,
list types) and the `x-kubernetes-validations` CEL rules, evaluated with
`cel-python`. Errors read like the API server's (`spec.application: Invalid value:
...`). The status subresource is honoured: a write to the main resource does not
change `status`.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import celpy
import yaml
from celpy import celtypes

CRD_DIR = Path(__file__).resolve().parents[1] / "deploy" / "crds"
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
# CEL reaches only these of metadata at the root of a custom resource.
_CEL_METADATA = ("name", "generateName")


class CrdError(Exception):
    """A CRD this module cannot use (missing, not structural, a CEL rule that does not compile)."""


@dataclass
class Verdict:
    """The object as it would be stored, or why the API server would refuse it."""

    obj: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Crd:
    """One CustomResourceDefinition: its names and each version's schema."""

    doc: dict[str, Any]

    @property
    def group(self) -> str:
        return str(self.doc["spec"]["group"])

    @property
    def kind(self) -> str:
        return str(self.doc["spec"]["names"]["kind"])

    @property
    def plural(self) -> str:
        return str(self.doc["spec"]["names"]["plural"])

    def versions(self) -> list[dict[str, Any]]:
        return list(self.doc["spec"]["versions"])

    def version(self, name: str) -> dict[str, Any] | None:
        return next((v for v in self.versions() if v.get("name") == name), None)

    @property
    def storage_version(self) -> str:
        return next(str(v["name"]) for v in self.versions() if v.get("storage"))

    def schema(self, version: str) -> dict[str, Any]:
        found = self.version(version)
        if found is None:
            raise CrdError(f"{self.plural}.{self.group} has no version {version}")
        return found["schema"]["openAPIV3Schema"]

    def has_status_subresource(self, version: str) -> bool:
        found = self.version(version) or {}
        return "status" in (found.get("subresources") or {})


def load_crds(directory: Path = CRD_DIR) -> dict[tuple[str, str], Crd]:
    """Every CRD in `directory`, by (group, kind)."""
    crds: dict[tuple[str, str], Crd] = {}
    for path in sorted(directory.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                crd = Crd(doc)
                crds[(crd.group, crd.kind)] = crd
    return crds


@cache
def shipped_crds() -> dict[tuple[str, str], Crd]:
    """The CRDs in deploy/crds (read once)."""
    return load_crds()


def crd_for(obj: dict[str, Any], crds: dict[tuple[str, str], Crd] | None = None) -> Crd:
    group, _, _version = str(obj.get("apiVersion", "")).rpartition("/")
    found = (crds if crds is not None else shipped_crds()).get((group, str(obj.get("kind", ""))))
    if found is None:
        raise CrdError(f"no CRD for {obj.get('kind')!r} in API group {group!r}")
    return found


# --- the request pipeline ---------------------------------------------------------------------


def admit(
    obj: dict[str, Any],
    old: dict[str, Any] | None = None,
    crds: dict[tuple[str, str], Crd] | None = None,
) -> Verdict:
    """`obj` pruned, defaulted and validated against its CRD: a create, or an update of `old`."""
    if not isinstance(obj, dict):
        raise CrdError(f"expected a Kubernetes object, got {type(obj).__name__}")
    crd = crd_for(obj, crds)
    version = str(obj.get("apiVersion", "")).rpartition("/")[2]
    served = crd.version(version)
    if served is None or not served.get("served", False):
        return Verdict(
            obj,
            [
                f"the server could not find the requested resource "
                f"({crd.plural}.{version}.{crd.group} is not served)"
            ],
        )
    schema = crd.schema(version)
    out = copy.deepcopy(obj)
    warnings: list[str] = []
    if served.get("deprecated"):
        warnings.append(
            served.get("deprecationWarning") or f"{crd.group}/{version} {crd.kind} is deprecated"
        )
    if crd.has_status_subresource(version):
        # The main resource does not write status: a create drops it, an update keeps the old.
        out.pop("status", None)
        if old is not None and "status" in old:
            out["status"] = copy.deepcopy(old["status"])
    out = _prune(out, schema, "", warnings, root=True)
    out = _default(out, schema)
    errors = _metadata_errors(out)
    errors += list(validate(out, schema, "", old=old))
    return Verdict(out, errors, warnings)


def _metadata_errors(obj: dict[str, Any]) -> list[str]:
    meta = obj.get("metadata") or {}
    if not isinstance(meta, dict):
        return ['metadata: Invalid value: "metadata" must be an object']
    name = meta.get("name")
    if not name and not meta.get("generateName"):
        return ["metadata.name: Required value: name or generateName is required"]
    if name and (
        not isinstance(name, str) or len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name)
    ):
        return [
            f'metadata.name: Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist '
            "of lower case alphanumeric characters, '-' or '.', and must start and end with an "
            "alphanumeric character"
        ]
    return []


# --- pruning and defaulting -------------------------------------------------------------------


def _preserves(schema: dict[str, Any]) -> bool:
    return bool(schema.get("x-kubernetes-preserve-unknown-fields"))


def _prune(
    value: Any, schema: dict[str, Any], path: str, warnings: list[str], root: bool = False
) -> Any:
    """Drop fields the schema does not know, noting each (as `kubectl` warns: unknown field)."""
    if isinstance(value, dict) and schema.get("type", "object") == "object":
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        out: dict[str, Any] = {}
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if root and key in ("apiVersion", "kind", "metadata"):
                out[key] = item
            elif key in props:
                out[key] = _prune(item, props[key], where, warnings)
            elif isinstance(extra, dict):
                out[key] = _prune(item, extra, where, warnings)
            elif extra is True or _preserves(schema):
                out[key] = item
            else:
                warnings.append(f'unknown field "{where}"')
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [
            _prune(item, schema["items"], f"{path}[{i}]", warnings) for i, item in enumerate(value)
        ]
    return value


def _default(value: Any, schema: dict[str, Any]) -> Any:
    """Fill in `default`s of absent properties, depth first, as the API server does."""
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        out = dict(value)
        for key, sub in props.items():
            if key not in out and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
            if key in out:
                out[key] = _default(out[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in out:
                if key not in props:
                    out[key] = _default(out[key], extra)
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_default(item, schema["items"]) for item in value]
    return value


# --- validation -------------------------------------------------------------------------------


_JSON_TYPES = {
    "string": str,
    "boolean": bool,
    "object": dict,
    "array": list,
}


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return '"object"'
    if isinstance(value, list):
        return '"array"'
    return json.dumps(value)


def _type_ok(value: Any, schema: dict[str, Any]) -> bool:
    if value is None:
        return bool(schema.get("nullable"))
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    wanted = schema.get("type")
    if wanted is None:
        return True
    if wanted == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if wanted == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _JSON_TYPES.get(wanted, object))


def _format_ok(value: Any, fmt: str) -> bool:
    if not isinstance(value, str):
        return True
    if fmt == "date-time":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return False
    return True


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def validate(value: Any, schema: dict[str, Any], path: str, old: Any = None) -> list[str]:
    """The API server's field errors for `value` at `path` (empty when it is valid)."""
    where = path or "<root>"
    if not _type_ok(value, schema):
        wanted = (
            "string or integer"
            if schema.get("x-kubernetes-int-or-string")
            else (schema.get("type"))
        )
        got = type(value).__name__ if value is not None else "null"
        got = {
            "str": "string",
            "int": "integer",
            "float": "number",
            "dict": "object",
            "list": "array",
            "bool": "boolean",
        }.get(got, got)
        return [
            f'{where}: Invalid value: "{got}": {where} in body must be of type {wanted}: "{got}"'
        ]
    if value is None:
        return []
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(_shown(x) for x in schema["enum"])
        errors.append(f"{where}: Unsupported value: {_shown(value)}: supported values: {allowed}")
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{where}: Too long: may not be more than {schema['maxLength']} bytes")
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(
                f"{where}: Invalid value: {_shown(value)}: {where} in body should be "
                f"at least {schema['minLength']} chars long"
            )
        if "pattern" in schema and not _regex(schema["pattern"]).search(value):
            errors.append(
                f"{where}: Invalid value: {_shown(value)}: {where} in body should "
                f"match '{schema['pattern']}'"
            )
        if "format" in schema and not _format_ok(value, schema["format"]):
            errors.append(
                f"{where}: Invalid value: {_shown(value)}: {where} in body must be of "
                f"type {schema['format']}: {_shown(value)}"
            )
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(
                f"{where}: Invalid value: {value}: {where} in body should be greater "
                f"than or equal to {schema['minimum']}"
            )
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(
                f"{where}: Invalid value: {value}: {where} in body should be less "
                f"than or equal to {schema['maximum']}"
            )
    if isinstance(value, list):
        errors += _validate_list(value, schema, where, path, old)
    if isinstance(value, dict):
        errors += _validate_object(value, schema, where, path, old)
    errors += _validate_combinators(value, schema, where, path)
    if not errors and schema.get("x-kubernetes-validations"):
        errors += _cel(value, schema, where, old)
    return errors


def _size_errors(
    size: int, schema: dict[str, Any], where: str, keyword: str, noun: str
) -> list[str]:
    """maxItems/minItems (keyword "Items") or maxProperties/minProperties ("Properties")."""
    errors = []
    if f"max{keyword}" in schema and size > schema[f"max{keyword}"]:
        errors.append(
            f"{where}: Too many: {size}: must have at most {schema[f'max{keyword}']} items"
        )
    if f"min{keyword}" in schema and size < schema[f"min{keyword}"]:
        errors.append(
            f"{where}: Invalid value: {size}: {where} in body should have at least "
            f"{schema[f'min{keyword}']} {noun}"
        )
    return errors


def _validate_list(
    value: list[Any], schema: dict[str, Any], where: str, path: str, old: Any
) -> list[str]:
    errors = _size_errors(len(value), schema, where, "Items", "items")
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            errors += validate(item, items, f"{path}[{i}]")
    list_type = schema.get("x-kubernetes-list-type")
    keys = schema.get("x-kubernetes-list-map-keys") or []
    if list_type == "set":
        seen: list[Any] = []
        for i, item in enumerate(value):
            if item in seen:
                errors.append(f"{path}[{i}]: Duplicate value: {_shown(item)}")
            seen.append(item)
    elif list_type == "map" and keys:
        seen_keys: set[str] = set()
        for i, item in enumerate(value):
            key = json.dumps([item.get(k) if isinstance(item, dict) else None for k in keys])
            if key in seen_keys:
                errors.append(f"{path}[{i}]: Duplicate value: {key}")
            seen_keys.add(key)
    return errors


def _validate_object(
    value: dict[str, Any], schema: dict[str, Any], where: str, path: str, old: Any
) -> list[str]:
    errors = [
        f"{path + '.' if path else ''}{key}: Required value"
        for key in schema.get("required") or []
        if key not in value
    ]
    errors += _size_errors(len(value), schema, where, "Properties", "properties")
    props = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    old_map = old if isinstance(old, dict) else {}
    for key, item in value.items():
        sub_path = f"{path}.{key}" if path else key
        if not path and key in ("apiVersion", "kind", "metadata"):
            continue  # checked by the API machinery, not the schema
        if key in props:
            errors += validate(item, props[key], sub_path, old_map.get(key))
        elif isinstance(extra, dict):
            errors += validate(item, extra, sub_path, old_map.get(key))
    return errors


def _validate_combinators(value: Any, schema: dict[str, Any], where: str, path: str) -> list[str]:
    errors: list[str] = []
    for sub in schema.get("allOf") or []:
        errors += validate(value, sub, path)
    if "anyOf" in schema and not any(not validate(value, s, path) for s in schema["anyOf"]):
        errors.append(
            f"{where}: Invalid value: {_shown(value)}: {where} in body must match at "
            "least one schema in anyOf"
        )
    if "oneOf" in schema:
        matching = sum(1 for s in schema["oneOf"] if not validate(value, s, path))
        if matching != 1:
            errors.append(
                f"{where}: Invalid value: {_shown(value)}: {where} in body must match "
                f"exactly one schema in oneOf ({matching} match)"
            )
    if "not" in schema and not validate(value, schema["not"], path):
        errors.append(
            f"{where}: Invalid value: {_shown(value)}: {where} in body should not "
            "match the schema in not"
        )
    return errors


# --- CEL --------------------------------------------------------------------------------------


_CEL_ENV = celpy.Environment()


@cache
def _program(rule: str) -> celpy.Runner:
    try:
        return _CEL_ENV.program(_CEL_ENV.compile(rule))
    except Exception as exc:  # a CRD carrying a rule that does not compile is unusable
        raise CrdError(f"CEL rule {rule!r} does not compile: {exc}") from None


def _cel_value(value: Any, root: bool) -> celtypes.Value:
    if root and isinstance(value, dict) and "metadata" in value:
        meta = value.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        value = {**value, "metadata": {k: meta[k] for k in _CEL_METADATA if k in meta}}
    return celpy.json_to_cel(value)


def _cel(value: Any, schema: dict[str, Any], where: str, old: Any) -> list[str]:
    errors: list[str] = []
    root = where == "<root>"
    activation: dict[str, Any] = {"self": _cel_value(value, root)}
    for rule in schema["x-kubernetes-validations"]:
        text = rule["rule"]
        if "oldSelf" in text:
            if old is None:
                continue  # a transition rule applies to updates only
            activation["oldSelf"] = _cel_value(old, root)
        try:
            result = _program(text).evaluate(activation)
        except celpy.CELEvalError as exc:
            errors.append(
                f"{where}: Invalid value: {_shown(value)}: rule evaluation error: "
                f"{exc.args[0] if exc.args else exc}"
            )
            continue
        if isinstance(result, celpy.CELEvalError):
            errors.append(
                f"{where}: Invalid value: {_shown(value)}: rule evaluation error: "
                f"{result.args[0] if result.args else result}"
            )
        elif result is not True and result != celtypes.BoolType(True):
            message = rule.get("message") or f"failed rule: {text}"
            field_path = rule.get("fieldPath")
            at = f"{where}{field_path}" if field_path else where
            errors.append(f"{at}: Invalid value: {_shown(value)}: {message}")
    return errors
