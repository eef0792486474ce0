"""`input.image.files`: the manifests of an OLM bundle image, read from its layers as `ec` does.

`ec` (internal/fetchers/oci/files: `OLMManifest`, `PathMatcher`, `ImageFiles`)
looks at the image config's label
`operators.operatorframework.io.bundle.manifests.v1` (for example
`manifests/`); when it is there, every file directly in that directory whose
name ends in `.yaml`, `.yml` or `.json` (both compared case-insensitively)
is read from the image's filesystem, converted to JSON (a YAML stream gives
its first document) and keyed by its path. Images without the label get no
`files`.

Stricter than `ec` (docs/policy-authoring.md): the layers are read within the
`extract-*` limits, and a file that cannot be read or parsed is a reason for a
violation instead of being left out (which would let the rules about it pass).
"""

from __future__ import annotations

import posixpath
from typing import Any

import yaml

from konflux.engine.documents import DocumentError, json_loads, load_yaml_all, yaml_error
from konflux.engine.errors import KonfluxError
from konflux.engine.oci import ImageReference, SyncRegistry
from konflux.engine.oci.layers import Match

OLM_MANIFESTS_LABEL = "operators.operatorframework.io.bundle.manifests.v1"
EXTENSIONS = (".yaml", ".yml", ".json")


class ImageFilesError(KonfluxError):
    """A file of `input.image.files` could not be read or parsed."""


def olm_matcher(config: dict[str, Any] | None) -> Match | None:
    """Which paths `ec` reads for an image with this config; None when it reads none."""
    labels = (config or {}).get("Labels") or {}
    directory = labels.get(OLM_MANIFESTS_LABEL) if isinstance(labels, dict) else None
    if not isinstance(directory, str):
        return None
    wanted = posixpath.normpath("/" + directory).lstrip("/").lower()

    def match(name: str) -> bool:
        return posixpath.dirname(name).lower() == wanted and name.lower().endswith(EXTENSIONS)

    return match


def image_files(
    registry: SyncRegistry, image: ImageReference, config: dict[str, Any] | None
) -> dict[str, Any] | None:
    """`input.image.files` of `image`, or None when `ec` would not fill it."""
    match = olm_matcher(config)
    if match is None:
        return None
    from konflux.engine.image.builtins import go_sorted

    files = registry.image_files(image, match)
    parsed = {name: _parse(name, content) for name, content in sorted(files.items())}
    try:
        return go_sorted(parsed)  # ec's YAML-to-JSON: every object's keys sorted, as Go's
    except RecursionError:
        return parsed


def _parse(name: str, content: bytes) -> Any:
    try:
        text = content.decode("utf-8")
        if name.lower().endswith(".json"):
            return json_loads(text)
        docs = load_yaml_all(text)
    except UnicodeDecodeError as exc:
        raise ImageFilesError(f"{name}: not UTF-8 text: {exc.reason}") from None
    except yaml.YAMLError as exc:
        raise ImageFilesError(yaml_error(exc).located(name)) from None
    except DocumentError as exc:
        raise ImageFilesError(exc.located(name)) from None
    except ValueError as exc:
        raise ImageFilesError(f"{name}: invalid JSON: {exc}") from None
    return docs[0] if docs else None
