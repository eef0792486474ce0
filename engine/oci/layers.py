"""Files out of image layers: tar archives, maybe gzip-compressed, streamed within limits.

The image spec's `layer.md`: a layer is a tar archive (`+gzip`: compressed);
the image's filesystem is its layers applied in order, a later layer's copy of
a path replacing an earlier one, a whiteout `.wh.<name>` deleting `<name>` from
the layers below and an opaque whiteout `.wh..wh..opq` emptying its directory
in them.

A layer is attacker-sized: a 131 KB gzip stream can hold 128 MiB, a 1 MB one
a GiB. So a layer is never decompressed whole: the tar is read as a stream,
members that are not wanted are skipped as they pass, and one `ExtractBudget`
per call counts what was decompressed (`extract-bytes`), how many files are
kept (`extract-files`) and their total size (`blob-bytes`). Past any of them
the read stops with a `LimitExceeded` naming the image and the limit.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import tarfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO

from konflux.engine import limits
from konflux.engine.limits import LimitExceeded, Limits
from konflux.engine.oci import media_types as mt
from konflux.engine.oci.errors import RegistryError

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"

Match = Callable[[str], bool]


@dataclass
class ExtractBudget:
    """What one read of files (one builtin call, one image) may still decompress and keep."""

    where: str  # the image or blob, for messages
    limits: Limits = field(default_factory=limits.current)
    decompressed: int = 0
    files: int = 0
    kept: int = 0

    def charge(self, size: int) -> None:
        self.decompressed += size
        if self.decompressed > self.limits.extract_bytes:
            raise LimitExceeded.of(
                f"{self.where}: decompressing layers", "extract_bytes", self.limits.extract_bytes
            )

    def remaining(self) -> int:
        return self.limits.extract_bytes - self.decompressed

    def keep(self, name: str, size: int) -> None:
        self.files += 1
        if self.files > self.limits.extract_files:
            raise LimitExceeded.of(
                f"{self.where}: files read", "extract_files", self.limits.extract_files
            )
        self.kept += size
        if self.kept > self.limits.blob_bytes:
            raise LimitExceeded.of(
                f"{self.where}: files read (at {name})", "blob_bytes", self.limits.blob_bytes
            )


class _Counted(io.RawIOBase):
    """A readable stream charging every byte it yields to the budget, never reading past it."""

    def __init__(self, inner: IO[bytes], budget: ExtractBudget):
        self.inner, self.budget = inner, budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        # One byte more than the budget allows, so passing it is seen without reading on.
        wanted = min(len(buffer), self.budget.remaining() + 1)
        data = self.inner.read(wanted)
        self.budget.charge(len(data))
        buffer[: len(data)] = data
        return len(data)


@dataclass
class LayerContent:
    """The wanted files of one layer, and what it deletes from the layers below."""

    files: dict[str, bytes] = field(default_factory=dict)
    whiteouts: set[str] = field(default_factory=set)  # paths deleted below
    opaque: set[str] = field(default_factory=set)  # directories emptied below

    def apply_to(self, below: dict[str, bytes]) -> None:
        """`below` (the files of the lower layers) with this layer on top."""
        for name in list(below):
            if (
                name in self.whiteouts
                or any(_under(name, d) for d in self.whiteouts)
                or any(_under(name, d) for d in self.opaque)
            ):
                del below[name]
        below.update(self.files)


def _under(name: str, directory: str) -> bool:
    return directory == "" or name.startswith(directory + "/")


def normalized(name: str) -> str:
    """A tar member name as a path in the image (`./a//b` and `/a/b` are `a/b`)."""
    clean = posixpath.normpath("/" + name).lstrip("/")
    return "" if clean == "." else clean


def paths_matcher(paths: Iterable[str]) -> Match:
    """`ec.oci.image_files` paths: exact files, or directories when they end in `/`."""
    wanted = [p.lstrip("/") for p in paths]
    return lambda name: any(name == w or (w.endswith("/") and name.startswith(w)) for w in wanted)


def _decompressed(source: IO[bytes], media_type: str, where: str) -> IO[bytes]:
    head = source.read(4)
    source.seek(0)
    if media_type in mt.GZIP_LAYERS or head[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=source, mode="rb")
    if head == b"\x28\xb5\x2f\xfd":
        raise RegistryError(where, "zstd-compressed layers are not supported")
    if media_type in mt.TAR_LAYERS or not media_type:
        return source
    raise RegistryError(where, f"unsupported layer media type {media_type!r}")


def read_layer(
    source: IO[bytes], media_type: str, match: Match, budget: ExtractBudget, where: str
) -> LayerContent:
    """The files of the layer in `source` that `match` accepts, with its whiteouts."""
    content = LayerContent()
    stream = _Counted(_decompressed(source, media_type, where), budget)
    try:
        with tarfile.open(fileobj=io.BufferedReader(stream), mode="r|") as tar:
            for member in tar:
                name = normalized(member.name)
                base = posixpath.basename(name)
                if base == OPAQUE:
                    content.opaque.add(posixpath.dirname(name))
                elif base.startswith(WHITEOUT) and len(base) > len(WHITEOUT):
                    content.whiteouts.add(posixpath.join(posixpath.dirname(name), base[4:]))
                elif member.isfile() and match(name):
                    budget.keep(name, member.size)
                    extracted = tar.extractfile(member)
                    if extracted is not None:
                        content.files[name] = extracted.read()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise RegistryError(where, f"layer is not a valid tar archive: {e}") from e
    return content
