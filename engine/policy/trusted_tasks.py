"""Trusted-task records: `konflux policy track-task` keeps `trusted_tasks` rule data current.

Keys name a task: `oci://REPOSITORY:TAG` for a Tekton bundle, `git+URL//PATH`
for a task file in git. Each key holds records newest first, `{ref,
effective_on}` with `ref` the bundle digest or git commit. Tracking a new
version puts a record on top; the previous one stays (and expires only when
the operator adds `expires_on`). Tracking the version already on top changes
nothing. The file's leading comment block is kept.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from konflux.engine.errors import KonfluxError


class TrackTaskError(KonfluxError):
    """A task reference could not be resolved or the data file not updated."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve_git(ref: str) -> tuple[str, str]:
    """`git+URL//PATH@REV` → (key `git+URL//PATH`, commit of REV via `git ls-remote`)."""
    body = ref.removeprefix("git+")
    base, _, rev = body.rpartition("@") if "@" in body.split("//", 2)[-1] else (body, "", "HEAD")
    rev = rev or "HEAD"
    url = base.split("//", 2)
    repo = "//".join(url[:2]) if base.startswith(("https://", "http://", "file://")) else url[0]
    if re.fullmatch(r"[0-9a-f]{40}", rev):
        return f"git+{base}", rev
    try:
        out = subprocess.run(
            ["git", "ls-remote", repo, rev], capture_output=True, text=True, timeout=60, check=True
        ).stdout
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, FileNotFoundError) as exc:
        raise TrackTaskError(f"{ref}: cannot resolve {rev!r} with git ls-remote: {exc}") from None
    line = next((ln for ln in out.splitlines() if ln.strip()), "")
    if not line:
        raise TrackTaskError(f"{ref}: {rev!r} is not a branch or tag of {repo}")
    return f"git+{base}", line.split()[0]


def resolve_bundle(ref: str) -> tuple[str, str]:
    """`[oci://]REPO:TAG` → (key `oci://REPO:TAG`, the digest the tag points at now)."""
    from konflux.engine.oci import RegistryError, SyncRegistry, parse_reference

    text = ref.removeprefix("oci://")
    try:
        parsed = parse_reference(text)
        with SyncRegistry() as registry:
            digest = parsed.digest or registry.resolve(parsed).digest
    except (RegistryError, ValueError) as exc:
        raise TrackTaskError(f"{ref}: {exc}") from None
    tag = parsed.tag or "latest"
    return f"oci://{parsed.context}:{tag}", str(digest)


def track(data_file: Path, key: str, ref: str, effective_on: str | None = None) -> bool:
    """Put `{ref, effective_on}` on top of `key`'s records; False when it already is on top."""
    text = data_file.read_text(encoding="utf-8") if data_file.exists() else ""
    header = "".join(ln for ln in text.splitlines(keepends=True) if ln.startswith("#"))
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise TrackTaskError(f"{data_file}: invalid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise TrackTaskError(f"{data_file}: expected a mapping at the top")
    tasks = doc.setdefault("rule_data", {}).setdefault("trusted_tasks", {})
    if not isinstance(tasks, dict):
        raise TrackTaskError(f"{data_file}: rule_data.trusted_tasks must be a mapping")
    records: list[dict[str, Any]] = tasks.setdefault(key, [])
    if records and records[0].get("ref") == ref:
        return False
    records.insert(0, {"ref": ref, "effective_on": effective_on or _now()})
    body = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
    data_file.write_text(header + body, encoding="utf-8")
    return True
