"""What `validate image` checks: a Snapshot spec's components, from `--images` or `--image`.

`--images` is a file path or inline JSON/YAML holding a Snapshot resource
(its `spec` is used) or a bare SnapshotSpec; `--image REF` adds a component
named `Unnamed`. Components are merged by image, as `ec` does, so a named
component wins over an unnamed one for the same image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from konflux.engine.documents import parse_text, read_document
from konflux.engine.errors import InputError

UNNAMED = "Unnamed"


@dataclass
class Component:
    name: str
    container_image: str
    source: dict[str, Any] = field(default_factory=dict)

    def to_spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "containerImage": self.container_image,
        }
        if self.source:
            out["source"] = self.source
        return out


@dataclass
class Snapshot:
    application: str = ""
    display_name: str = ""
    components: list[Component] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def merge(self, other: Snapshot) -> None:
        self.application = self.application or other.application
        self.display_name = self.display_name or other.display_name
        by_image = {c.container_image: c for c in self.components}
        for c in other.components:
            known = by_image.get(c.container_image)
            if known is None:
                self.components.append(c)
                by_image[c.container_image] = c
            elif known.name in ("", UNNAMED):
                known.name = c.name

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = dict(self.extra)
        if self.application:
            spec["application"] = self.application
        if self.display_name:
            spec["displayName"] = self.display_name
        spec["components"] = [c.to_spec() for c in self.components]
        return spec


def snapshot_from_document(doc: Any, origin: str) -> Snapshot:
    if isinstance(doc, dict) and isinstance(doc.get("spec"), dict):
        doc = doc["spec"]
    if not isinstance(doc, dict):
        raise InputError(f"{origin}: expected a Snapshot or a Snapshot spec (a mapping)")
    components = doc.get("components")
    if not isinstance(components, list):
        raise InputError(f"{origin}: the Snapshot spec has no `components` list")
    parsed = []
    for i, c in enumerate(components):
        if not isinstance(c, dict) or not isinstance(c.get("containerImage"), str):
            raise InputError(f"{origin}: components[{i}] needs a `containerImage` string")
        source = c.get("source") if isinstance(c.get("source"), dict) else {}
        parsed.append(Component(str(c.get("name") or ""), c["containerImage"], source))
    extra = {k: v for k, v in doc.items() if k not in ("components", "application", "displayName")}
    return Snapshot(
        application=str(doc.get("application") or ""),
        display_name=str(doc.get("displayName") or ""),
        components=parsed,
        extra=extra,
    )


def _looks_inline(text: str) -> bool:
    return "\n" in text or text.lstrip().startswith(("{", "[")) or ": " in text


def load_snapshot(images: str | None = None, image: str | None = None) -> Snapshot:
    """The Snapshot to validate, from `--images` (file or inline) and/or `--image`."""
    snapshot = Snapshot()
    provided = False
    if images:
        path = Path(images)
        if "\n" not in images and path.is_file():
            doc = read_document(path)
            origin = images
        elif not _looks_inline(images):
            # A file name that is not there: say so, rather than parse the name as YAML.
            doc = read_document(path)  # raises: no such file / is a directory
            origin = images
        else:
            doc = parse_text(images, "inline --images")
            origin = "--images"
        snapshot.merge(snapshot_from_document(doc, origin))
        provided = True
    if image:
        snapshot.merge(Snapshot(components=[Component(UNNAMED, image)]))
        provided = True
    if not provided:
        raise InputError("neither a Snapshot (--images) nor an image reference (--image) was given")
    return snapshot
