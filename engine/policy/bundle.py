"""Versioned policy bundles: the files of a policy (or data) directory as a unit.

Two packagings of the same file set:
- an OPA bundle tarball (`.manifest` with `revision` and `roots`, then the
  files), for `opa`/OPA-server users;
- an OCI artifact as conftest and `ec` pull it: one layer per file, titled with
  its path (`org.opencontainers.image.title`), Rego files with the OPA policy
  layer media type and data files with the data layer media type.
Test files (`*_test.rego`) stay out: a bundle carries what evaluates.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from konflux.engine.digests import sha256_digest
from konflux.engine.errors import PolicyLoadError
from konflux.engine.policy.files import DATA_SUFFIXES

POLICY_LAYER = "application/vnd.cncf.openpolicyagent.policy.layer.v1+rego"
DATA_LAYER = "application/vnd.cncf.openpolicyagent.data.layer.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.cncf.openpolicyagent.config.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
TITLE = "org.opencontainers.image.title"
VERSION = "org.opencontainers.image.version"
_PACKAGE = re.compile(r"^package\s+([A-Za-z_][\w]*)", re.M)


@dataclass(frozen=True)
class BundleFile:
    path: str  # relative, with forward slashes
    content: bytes
    media_type: str

    @property
    def digest(self) -> str:
        return sha256_digest(self.content)


def collect(directory: str | Path) -> list[BundleFile]:
    """The files a bundle of `directory` holds, in a stable order."""
    root = Path(directory)
    if not root.is_dir():
        raise PolicyLoadError(f"{root}: not a directory")
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix == ".rego" and not path.name.endswith("_test.rego"):
            files.append(BundleFile(rel.as_posix(), path.read_bytes(), POLICY_LAYER))
        elif path.suffix in DATA_SUFFIXES:
            files.append(BundleFile(rel.as_posix(), path.read_bytes(), DATA_LAYER))
    if not files:
        raise PolicyLoadError(f"{root}: no Rego or data files to bundle")
    return files


def roots(files: list[BundleFile]) -> list[str]:
    """Top-level data paths the bundle owns: Rego packages' first segments and data keys."""
    found: set[str] = set()
    for f in files:
        if f.media_type == POLICY_LAYER:
            m = _PACKAGE.search(f.content.decode("utf-8", "replace"))
            if m:
                found.add(m.group(1))
    return sorted(found)


def build_tarball(directory: str | Path, output: str | Path, revision: str) -> Path:
    """Write an OPA bundle (`.tar.gz` with `.manifest`) of `directory`."""
    files = collect(directory)
    manifest = json.dumps({"revision": revision, "roots": roots(files)}, indent=2).encode()
    buf = io.BytesIO()
    # Fixed mtimes and ordering: the same sources give the same bytes (and digest).
    with (
        gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, content in [(".manifest", manifest)] + [(f.path, f.content) for f in files]:
            info = tarfile.TarInfo("/" + name)
            info.size = len(content)
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(content))
    out = Path(output)
    out.write_bytes(buf.getvalue())
    return out


def oci_manifest(files: list[BundleFile], config: bytes, revision: str) -> dict[str, Any]:
    """The OCI image manifest of a bundle artifact, layers in file order."""
    return {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": CONFIG_MEDIA_TYPE,
            "digest": sha256_digest(config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": f.media_type,
                "digest": f.digest,
                "size": len(f.content),
                "annotations": {TITLE: f.path},
            }
            for f in files
        ],
        "annotations": {VERSION: revision},
    }


def config_blob(files: list[BundleFile], revision: str) -> bytes:
    return json.dumps({"revision": revision, "roots": roots(files)}, sort_keys=True).encode()


def safe_destination(root: Path, title: str) -> Path:
    """Where a pulled layer titled `title` goes; refuses paths escaping `root`."""
    target = (root / title).resolve()
    if root.resolve() not in target.parents:
        raise PolicyLoadError(f"bundle layer title {title!r} escapes the destination directory")
    return target


# -- registry I/O ------------------------------------------------------------------------------


async def push_bundle(client: Any, directory: str | Path, ref: Any, revision: str) -> Any:
    """Push `directory` as a bundle artifact to `ref` (tagged); returns `ref` with its digest."""
    files = collect(directory)
    config = config_blob(files, revision)
    await client.push_blob(ref, config, media_type=CONFIG_MEDIA_TYPE)
    for f in files:
        await client.push_blob(ref, f.content, media_type=f.media_type)
    raw = json.dumps(oci_manifest(files, config, revision), separators=(",", ":")).encode()
    return await client.put_manifest(ref, raw, OCI_MANIFEST)


async def pull_bundle(client: Any, ref: Any, destination: str | Path) -> Any:
    """Write the files of the bundle at `ref` under `destination`; returns the pinned ref."""
    manifest = await client.get_manifest(ref)
    layers = manifest.json.get("layers") or []
    if not layers:
        raise PolicyLoadError(f"{ref}: the artifact has no layers, not a policy bundle")
    root = Path(destination)
    root.mkdir(parents=True, exist_ok=True)
    for i, layer in enumerate(layers):
        title = (layer.get("annotations") or {}).get(TITLE)
        if not title:
            raise PolicyLoadError(f"{ref}: layer {i} has no {TITLE} annotation")
        data = await client.get_blob(manifest.reference, layer["digest"])
        target = safe_destination(root, title)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return manifest.reference
