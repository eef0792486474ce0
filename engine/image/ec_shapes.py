"""OCI values as `ec`'s `ec.oci.*` builtins shape them (github:conforma/cli internal/rego/oci).

`ec` converts go-containerregistry structs field by field, so every descriptor
carries `data`, `urls`, `annotations` and `artifactType` even when the
registry's JSON leaves them out, a platform carries all six fields, and a
manifest or index always has `annotations`. Rules written against `ec` may
rely on those fields existing (`d.artifactType == ""`), so we do the same.
"""

from __future__ import annotations

import base64
from typing import Any


def _annotations(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def platform(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "architecture": str(p.get("architecture") or ""),
        "os": str(p.get("os") or ""),
        "os.version": str(p.get("os.version") or ""),
        "os.features": [str(f) for f in p.get("os.features") or []],
        "variant": str(p.get("variant") or ""),
        "features": [str(f) for f in p.get("features") or []],
    }


def _data(value: Any) -> str:
    # JSON carries `data` base64-encoded; Go decodes it to bytes and ec returns them as text.
    if not isinstance(value, str) or not value:
        return ""
    try:
        return base64.b64decode(value).decode("utf-8", "replace")
    except ValueError:
        return ""


def descriptor(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "mediaType": str(d.get("mediaType") or ""),
        "size": int(d.get("size") or 0),
        "digest": str(d.get("digest") or ""),
        "data": _data(d.get("data")),
        "urls": [str(u) for u in d.get("urls") or []],
        "annotations": _annotations(d.get("annotations")),
        "artifactType": str(d.get("artifactType") or ""),
    }
    if isinstance(d.get("platform"), dict):
        out["platform"] = platform(d["platform"])
    return out


def manifest(m: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schemaVersion": int(m.get("schemaVersion") or 0),
        "mediaType": str(m.get("mediaType") or ""),
        "config": descriptor(m.get("config") or {}),
        "layers": [descriptor(layer) for layer in m.get("layers") or []],
        "annotations": _annotations(m.get("annotations")),
    }
    if isinstance(m.get("subject"), dict):
        out["subject"] = descriptor(m["subject"])
    return out


def index(m: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schemaVersion": int(m.get("schemaVersion") or 0),
        "mediaType": str(m.get("mediaType") or ""),
        "manifests": [descriptor(d) for d in m.get("manifests") or []],
        "annotations": _annotations(m.get("annotations")),
    }
    if isinstance(m.get("subject"), dict):
        out["subject"] = descriptor(m["subject"])
    return out


def referrer(d: dict[str, Any], ref: str) -> dict[str, Any]:
    return {
        "mediaType": str(d.get("mediaType") or ""),
        "size": int(d.get("size") or 0),
        "digest": str(d.get("digest") or ""),
        "artifactType": str(d.get("artifactType") or ""),
        "ref": ref,
        "annotations": _annotations(d.get("annotations")),
    }


def snapshot_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A SnapshotSpec as `ec` puts it in the policy input (Go's application-api structs):
    `application` and `artifacts` always, each component with `name`, `containerImage`
    and `source` (`{}` when empty); fields the struct does not know are gone."""
    out: dict[str, Any] = {"application": str(spec.get("application") or "")}
    for key in ("componentGroup", "displayName", "displayDescription"):
        if spec.get(key):
            out[key] = spec[key]
    components = []
    for c in spec.get("components") or []:
        component: dict[str, Any] = {"name": str(c.get("name") or "")}
        if c.get("version"):
            component["version"] = c["version"]
        component["containerImage"] = str(c.get("containerImage") or "")
        component["source"] = c.get("source") if isinstance(c.get("source"), dict) else {}
        components.append(component)
    if components:
        out["components"] = components
    artifacts = spec.get("artifacts") if isinstance(spec.get("artifacts"), dict) else {}
    out["artifacts"] = {k: v for k, v in artifacts.items() if k == "unstableFields" and v}
    return out
