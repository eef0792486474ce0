"""Reading kubeconfig files and merging several of them as kubectl does.

The rules are client-go's (`tools/clientcmd/loader.go`): `KUBECONFIG` is a list
of files separated by `:`; files that do not exist are skipped (an explicit
`--kubeconfig` must exist); for clusters, users and contexts the first file that
defines a name wins, whole (entries are never merged field by field); the first
file that sets `current-context` wins; relative paths inside a file
(certificate-authority, client-certificate, client-key, tokenFile, and an exec
command containing a `/`) are resolved against that file's directory.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from konflux.kube.errors import KubeConfigError

SECTIONS = {"clusters": "cluster", "users": "user", "contexts": "context"}
# The fields holding file paths, resolved against the defining file's directory.
PATH_FIELDS = {
    "cluster": ("certificate-authority",),
    "user": ("client-certificate", "client-key", "tokenFile"),
}


@dataclass(frozen=True)
class Entry:
    """A named cluster, user or context, with the file that defined it."""

    name: str
    body: dict[str, Any]
    origin: Path

    def where(self, kind: str) -> str:
        """`user "u" in kubeconfig /path`: where to look when this entry is wrong."""
        return f'{kind} "{self.name}" in kubeconfig {self.origin}'


@dataclass
class Kubeconfig:
    """The merged view of one or more kubeconfig files."""

    files: tuple[Path, ...]
    clusters: dict[str, Entry] = field(default_factory=dict)
    users: dict[str, Entry] = field(default_factory=dict)
    contexts: dict[str, Entry] = field(default_factory=dict)
    current_context: str = ""

    @property
    def label(self) -> str:
        return "kubeconfig " + os.pathsep.join(str(f) for f in self.files)


def split_kubeconfig_env(value: str) -> list[Path]:
    """The files named by a `KUBECONFIG` value: `:`-separated, empty parts and repeats dropped."""
    seen: list[Path] = []
    for part in value.split(os.pathsep):
        if part and Path(part) not in seen:
            seen.append(Path(part))
    return seen


def read_kubeconfig(paths: Sequence[Path], *, explicit: bool = False) -> Kubeconfig:
    """Merge `paths` in order; `explicit` (one `--kubeconfig` file) must exist."""
    existing = []
    for path in paths:
        if path.exists():
            existing.append(path)
        elif explicit:
            raise KubeConfigError(f"kubeconfig {path} does not exist")
    if not existing:
        names = os.pathsep.join(str(p) for p in paths)
        raise KubeConfigError(f"none of the kubeconfig files exist: {names}")
    merged = Kubeconfig(files=tuple(existing))
    for path in existing:
        doc = _load(path)
        if not merged.current_context and isinstance(doc.get("current-context"), str):
            merged.current_context = doc["current-context"]
        for section, kind in SECTIONS.items():
            target: dict[str, Entry] = getattr(merged, section)
            for name, entry in _entries(path, doc, section, kind).items():
                target.setdefault(name, entry)  # the first file to define a name wins
    return merged


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise KubeConfigError(f"cannot read kubeconfig {path}: {exc.strerror or exc}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise KubeConfigError(f"cannot read kubeconfig {path}{where}: {problem}") from None
    if doc is None:
        return {}  # an empty file is an empty kubeconfig, as for kubectl
    if not isinstance(doc, dict):
        raise KubeConfigError(f"kubeconfig {path}: not a kubeconfig document (not a mapping)")
    return doc


def _entries(path: Path, doc: dict[str, Any], section: str, kind: str) -> dict[str, Entry]:
    items = doc.get(section)
    if items is None:
        return {}
    if not isinstance(items, list):
        raise KubeConfigError(f"kubeconfig {path}: {section} must be a list")
    out: dict[str, Entry] = {}
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        body = item.get(kind) if isinstance(item, dict) else None
        if not isinstance(name, str) or not name:
            raise KubeConfigError(f"kubeconfig {path}: {section}[{index}] has no name")
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise KubeConfigError(f'kubeconfig {path}: {kind} "{name}" must be a mapping')
        out[name] = Entry(name, _resolved(body, kind, path.parent), path)  # last one in a file wins
    return out


def _resolved(body: dict[str, Any], kind: str, base: Path) -> dict[str, Any]:
    body = dict(body)
    for key in PATH_FIELDS.get(kind, ()):
        value = body.get(key)
        if isinstance(value, str) and value and not os.path.isabs(value):
            body[key] = str(base / value)
    exec_config = body.get("exec")
    if kind == "user" and isinstance(exec_config, dict):
        command = exec_config.get("command")
        # Only a command with a path separator is a file; a bare name is looked up on PATH.
        if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
            body["exec"] = {**exec_config, "command": str(base / command)}
    return body
