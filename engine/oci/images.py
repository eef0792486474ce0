"""Build small OCI images (layers, config, manifest, index) and push them with our client.

Used by the signing side, the sample application and the tests. The shapes
follow the OCI image spec (`manifest.md`, `image-index.md`, `config.md`,
`layer.md`: gzip-compressed tar layers, `rootfs.diff_ids` over the
uncompressed tars); `docker=True` writes the same image as a Docker v2
schema 2 manifest / manifest list. Pushing follows the OCI distribution spec,
"Pushing blobs" then "Pushing Manifests" (blobs before the manifest that
names them).
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from konflux.engine.oci import media_types as mt
from konflux.engine.oci.client import Descriptor, RegistryClient, sha256_digest
from konflux.engine.oci.reference import ImageReference


def tar_layer(files: Mapping[str, bytes]) -> tuple[bytes, str]:
    """A reproducible tar+gzip layer of `files`; returns (compressed bytes, diff_id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            data = files[name]
            info = tarfile.TarInfo(name.lstrip("/"))
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    uncompressed = raw.getvalue()
    # mtime=0 keeps the gzip header, and so the digest, reproducible.
    compressed = gzip.compress(uncompressed, mtime=0)
    return compressed, sha256_digest(uncompressed)


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class ImageBuild:
    """An image made in memory: its blobs and manifest bytes, ready to push."""

    manifest: dict[str, Any]
    config: dict[str, Any]
    blobs: dict[str, bytes] = field(default_factory=dict)
    docker: bool = False

    @property
    def media_type(self) -> str:
        return mt.DOCKER_MANIFEST if self.docker else mt.OCI_MANIFEST

    @property
    def raw(self) -> bytes:
        return canonical_json(self.manifest)

    @property
    def digest(self) -> str:
        return sha256_digest(self.raw)

    def descriptor(self, platform: Mapping[str, str] | None = None) -> Descriptor:
        return Descriptor(self.media_type, self.digest, len(self.raw), platform=platform)

    async def push(
        self, client: RegistryClient, ref: ImageReference, *, chunk_size: int | None = None
    ) -> ImageReference:
        for data in self.blobs.values():
            await client.push_blob(ref, data, chunk_size=chunk_size)
        return await client.put_manifest(ref, self.raw, self.media_type)


def build_image(
    files: Mapping[str, bytes] | Sequence[Mapping[str, bytes]],
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    os: str = "linux",
    architecture: str = "amd64",
    docker: bool = False,
    created: str = "1970-01-01T00:00:00Z",
) -> ImageBuild:
    """An image whose layers hold `files` (one mapping per layer) and whose config has `labels`."""
    layer_files = [files] if isinstance(files, Mapping) else list(files)
    blobs: dict[str, bytes] = {}
    layers: list[dict[str, Any]] = []
    diff_ids: list[str] = []
    for content in layer_files:
        data, diff_id = tar_layer(content)
        digest = sha256_digest(data)
        blobs[digest] = data
        diff_ids.append(diff_id)
        layers.append(
            {
                "mediaType": mt.DOCKER_LAYER_GZIP if docker else mt.OCI_LAYER_GZIP,
                "digest": digest,
                "size": len(data),
            }
        )
    config: dict[str, Any] = {
        "architecture": architecture,
        "os": os,
        "created": created,
        "config": {"Labels": dict(labels or {})},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    config_raw = canonical_json(config)
    config_digest = sha256_digest(config_raw)
    blobs[config_digest] = config_raw
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": mt.DOCKER_MANIFEST if docker else mt.OCI_MANIFEST,
        "config": {
            "mediaType": mt.DOCKER_CONFIG if docker else mt.OCI_CONFIG,
            "digest": config_digest,
            "size": len(config_raw),
        },
        "layers": layers,
    }
    if annotations:
        manifest["annotations"] = dict(annotations)
    return ImageBuild(manifest, config, blobs, docker)


@dataclass
class IndexBuild:
    """An image index (or Docker manifest list) over per-platform images."""

    images: list[tuple[dict[str, str], ImageBuild]]
    annotations: dict[str, str] = field(default_factory=dict)
    docker: bool = False

    @property
    def media_type(self) -> str:
        return mt.DOCKER_MANIFEST_LIST if self.docker else mt.OCI_INDEX

    @property
    def manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "manifests": [image.descriptor(platform).to_dict() for platform, image in self.images],
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    @property
    def raw(self) -> bytes:
        return canonical_json(self.manifest)

    @property
    def digest(self) -> str:
        return sha256_digest(self.raw)

    async def push(self, client: RegistryClient, ref: ImageReference) -> ImageReference:
        for _, image in self.images:
            await image.push(client, ref.by_digest(image.digest))
        return await client.put_manifest(ref, self.raw, self.media_type)


def build_index(
    files: Mapping[str, bytes],
    platforms: Sequence[tuple[str, str]] = (("linux", "amd64"), ("linux", "arm64")),
    *,
    labels: Mapping[str, str] | None = None,
    docker: bool = False,
) -> IndexBuild:
    """One image per (os, architecture), each with `files` plus a file naming its platform."""
    images = []
    for os_name, arch in platforms:
        image = build_image(
            {**files, "etc/platform": f"{os_name}/{arch}\n".encode()},
            labels=labels,
            os=os_name,
            architecture=arch,
            docker=docker,
        )
        images.append(({"os": os_name, "architecture": arch}, image))
    return IndexBuild(images, docker=docker)
