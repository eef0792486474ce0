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
import os
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from konflux.engine import limits
from konflux.engine.digests import sha256_digest
from konflux.engine.errors import PolicyLoadError
from konflux.engine.limits import LimitExceeded
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


# -- pulling: where a layer may be written ---------------------------------------------------

SUFFIXES = frozenset({".rego", *DATA_SUFFIXES})
_NAME_MAX = 255  # bytes of one path segment (NAME_MAX on Linux, macOS and Windows filesystems)
_PATH_MAX = 1024  # bytes of a whole title


def title_problem(title: Any) -> str | None:
    """Why a layer title may not be written under a destination directory, or None.

    A bundle names its files; `pull` writes them into a directory the user owns,
    often a checkout. So a title must be a plain relative path: no empty, `.` or
    `..` segment, no segment starting with a dot (`.git/config`, `.envrc`, `.x`:
    whatever tools read from dot files is not a policy's business), no control
    characters or backslashes, segments within the filesystem's name limit, and
    a Rego or data file name (what a bundle carries, `collect`).
    """
    if not isinstance(title, str) or not title:
        return "no title"
    if title.startswith("/"):
        return "an absolute path"
    if any(ord(c) < 32 or c in "\\\x7f" for c in title):
        return "control characters or backslashes"
    if len(title.encode()) > _PATH_MAX:
        return f"longer than {_PATH_MAX} bytes"
    for part in title.split("/"):
        if part in ("", ".", ".."):
            return f"an empty, '.' or '..' segment ({part!r})"
        if part.startswith("."):
            return f"a segment starting with a dot ({part!r})"
        if len(part.encode()) > _NAME_MAX:
            return f"a segment longer than {_NAME_MAX} bytes"
    if Path(title).suffix not in SUFFIXES:
        return "not a Rego (.rego) or data (.json/.yaml/.yml) file name"
    return None


def check_titles(titles: list[str], where: str) -> None:
    """Every title acceptable (`title_problem`), and no two naming the same or nested paths."""
    for title in titles:
        problem = title_problem(title)
        if problem:
            raise PolicyLoadError(f"{where}: layer title {title!r} refused: {problem}")
    seen: set[str] = set()
    directories: set[str] = set()
    for title in sorted(titles):
        parents = ["/".join(title.split("/")[:i]) for i in range(1, title.count("/") + 1)]
        clash = (
            title
            if title in seen or title in directories
            else next((p for p in parents if p in seen), None)
        )
        if clash is not None:
            raise PolicyLoadError(
                f"{where}: layer titles clash: {title!r} and {clash!r} name the same path "
                "or a file inside a file"
            )
        seen.add(title)
        directories.update(parents)


def safe_destination(root: Path, title: str) -> Path:
    """Where a pulled layer titled `title` goes; refuses paths escaping `root` (symlinks too)."""
    target = (root / title).resolve()
    if root.resolve() not in target.parents:
        raise PolicyLoadError(f"bundle layer title {title!r} escapes the destination directory")
    return root / title


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


@dataclass(frozen=True)
class PulledBundle:
    """What `pull_bundle` wrote: the pinned reference, and each file's title and digest."""

    reference: Any
    files: dict[str, str]


async def pull_bundle(
    client: Any, ref: Any, destination: str | Path, *, force: bool = False
) -> PulledBundle:
    """Write the files of the bundle at `ref` under `destination`.

    Every title is checked before anything is written (`check_titles`); an existing
    file is never replaced unless `force` (and then replaced, not written through: a
    symlink in its place is replaced, not followed).
    """
    manifest = await client.get_manifest(ref)
    where = str(manifest.reference)
    layers = manifest.descriptors()
    if not layers:
        raise PolicyLoadError(f"{where}: the artifact has no layers, not a policy bundle")
    most = limits.current().extract_files
    if len(layers) > most:
        raise LimitExceeded.of(f"{where}: {len(layers)} layers", "extract_files", most)
    titles = [layer.annotations.get(TITLE, "") for layer in layers]
    check_titles(titles, where)
    root = Path(destination)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PolicyLoadError(f"{root}: cannot create the destination: {exc}") from None
    targets = [safe_destination(root, title) for title in titles]
    if not force:
        existing = [str(t) for t in targets if t.exists() or t.is_symlink()]
        if existing:
            shown = ", ".join(existing[:3]) + (
                f" and {len(existing) - 3} more" if len(existing) > 3 else ""
            )
            raise PolicyLoadError(
                f"{root}: the bundle would overwrite {shown}; pull into an empty directory "
                "or pass --force"
            )
    for layer, target in zip(layers, targets, strict=True):
        data = await client.get_blob(manifest.reference, layer.digest, size=layer.size)
        _write(target, data, force)
    return PulledBundle(
        manifest.reference, {t: layer.digest for t, layer in zip(titles, layers, strict=True)}
    )


def _write(target: Path, data: bytes, force: bool) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not force:
            with open(target, "xb") as out:  # O_EXCL: never through a file or link made since
                out.write(data)
            return
        partial = target.with_name(f".{target.name}.partial")
        partial.write_bytes(data)
        os.replace(partial, target)
    except OSError as exc:
        raise PolicyLoadError(f"{target}: cannot write the bundle file: {exc.strerror}") from None
