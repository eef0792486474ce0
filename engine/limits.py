"""Every size limit on the verification path, in one place: defaults, names, how to raise them.

A supply-chain gate reads what others wrote (registries, image layers, input
documents), so every read is bounded; past a bound the read fails with a
`LimitExceeded` naming what, where and which limit, and the gate fails closed.
docs/limits.md lists each limit; they are raised per process with
`konflux --limit NAME=VALUE` or the environment variable `KONFLUX_LIMIT_NAME`
(for example `KONFLUX_LIMIT_EXTRACT_BYTES=1GiB`). The webhook's time limits are
flags of `konflux webhook serve` (`webhooks/server.py`).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace

from konflux.engine.errors import KonfluxError

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
ENV_PREFIX = "KONFLUX_LIMIT_"


class LimitExceeded(KonfluxError):
    """A read went past one of the limits; the message names the limit and how to raise it."""

    limit: str = ""

    @classmethod
    def of(cls, what: str, limit: str, value: int) -> LimitExceeded:
        error = cls(f"{what}: {past_limit(limit, value)}")
        error.limit = limit.replace("_", "-")
        return error


def past_limit(limit: str, value: int) -> str:
    """`past the NAME limit of VALUE; raise it with ...`, for error messages."""
    limit = limit.replace("_", "-")
    shown = _human(value) if limit.endswith("-bytes") else f"{value:,}"
    return (
        f"past the {limit} limit of {shown}; raise it with --limit {limit}=VALUE or "
        f"{ENV_PREFIX}{limit.upper().replace('-', '_')} if the content is trusted "
        "(docs/limits.md)"
    )


@dataclass(frozen=True)
class Limits:
    """The limits of one process (docs/limits.md says what each bounds and why)."""

    # A manifest, index, referrers answer or tag-list page: the OCI spec advises 4 MiB.
    manifest_bytes: int = 4 * MIB
    # A blob held in memory: image config, signature/attestation/SBOM layer, `ec.oci.blob`,
    # a policy bundle file; also the files `ec.oci.image_files`/`blob_files` return, together.
    blob_bytes: int = 32 * MIB
    # A compressed layer read for its files (streamed to a temporary file, not memory).
    layer_bytes: int = 1 * GIB
    # Bytes decompressed from layers in one `ec.oci.image_files`/`blob_files` call (and for
    # `input.image.files`): a small layer can inflate a thousandfold.
    extract_bytes: int = 256 * MIB
    # Files one such call returns.
    extract_files: int = 10_000
    # How much YAML alias expansion may add to a document (nodes plus scalar characters):
    # a few hundred bytes of nested aliases otherwise expand to gigabytes.
    yaml_alias_expansion: int = 10_000_000
    # Nesting depth of a JSON or YAML document (arrays/objects within each other).
    nesting: int = 256

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Limits:
        """Defaults, overridden by `KONFLUX_LIMIT_<NAME>` variables.

        Errors name the variable; a `KONFLUX_LIMIT_` variable naming no limit is refused,
        so a misspelt one does not leave the default in place unnoticed.
        """
        known = {ENV_PREFIX + f.name.upper(): f.name for f in fields(cls)}
        values = {}
        for variable, raw in environ.items():
            if not variable.startswith(ENV_PREFIX):
                continue
            if variable not in known:
                raise ValueError(
                    f"environment variable {variable} names no limit; known: "
                    + ", ".join(sorted(known))
                )
            values[known[variable]] = parse_size(raw, f"environment variable {variable}")
        return cls(**values)

    def with_settings(self, settings: list[str]) -> Limits:
        """These limits with `NAME=VALUE` settings (as `--limit` gives them) applied."""
        known = {f.name.replace("_", "-"): f.name for f in fields(self)}
        values = {}
        for setting in settings:
            name, sep, value = setting.partition("=")
            key = known.get(name.strip().replace("_", "-"))
            if not sep or key is None:
                raise ValueError(
                    f"--limit {setting!r}: expected NAME=VALUE with NAME one of "
                    + ", ".join(sorted(known))
                )
            values[key] = parse_size(value, name.strip())
        return replace(self, **values)


_SIZE = re.compile(r"^\s*(\d+)\s*(|k|ki|kib|kb|m|mi|mib|mb|g|gi|gib|gb)\s*$", re.I)
_UNITS = {"": 1, "k": KIB, "m": MIB, "g": GIB}


def parse_size(text: str, name: str) -> int:
    """`123`, `64KiB`, `4MiB`, `1GiB` (binary units; `k`, `M`, `G` mean the same)."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"{name}: {text!r} is not a size such as 4096, 64KiB, 4MiB, 1GiB")
    value = int(m.group(1)) * _UNITS[m.group(2)[:1].lower()]
    if value <= 0:
        raise ValueError(f"{name}: must be positive")
    return value


def _human(value: int) -> str:
    for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if value >= size and value % size == 0:
            return f"{value // size} {unit}"
    return f"{value:,} bytes"


_lock = threading.Lock()
_current: list[Limits] = []


def current() -> Limits:
    """The process's limits: `--limit` settings, else the environment, else the defaults."""
    with _lock:
        if not _current:
            _current.append(Limits.from_env(os.environ))
        return _current[0]


def configure(limits: Limits) -> None:
    """Make `limits` the process's limits (the CLI does this for `--limit`)."""
    with _lock:
        _current[:] = [limits]


@contextmanager
def overridden(**values: int) -> Iterator[Limits]:
    """The current limits with `values` replaced, for the duration of a `with` block."""
    before = current()
    configure(replace(before, **values))
    try:
        yield current()
    finally:
        configure(before)
