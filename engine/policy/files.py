"""The one policy loader: Rego modules and data documents from local files and directories.

Directory semantics follow `opa`: every `.rego` file below a directory is a
module; a JSON/YAML data file inside a directory is mounted at its path
relative to that directory, a data file named directly is mounted at the root.
Conforma sources (`ec`) merge every data file at the root instead, which the
caller asks for with `data_at_root=True`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from konflux.engine.documents import read_document
from konflux.engine.errors import PolicyLoadError
from konflux.engine.policy.modules import RegoModule, parse_module

DATA_SUFFIXES = {".json", ".yaml", ".yml"}


@dataclass(frozen=True)
class DataDocument:
    path: str
    mount: str  # dotted data path, "" for the root
    value: dict[str, Any]


@dataclass
class PolicyFiles:
    modules: list[RegoModule] = field(default_factory=list)
    data: list[DataDocument] = field(default_factory=list)

    def extend(self, other: PolicyFiles) -> None:
        self.modules.extend(other.modules)
        self.data.extend(other.data)


def _data_file(path: Path, mount: str) -> DataDocument | None:
    value = read_document(path, PolicyLoadError)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise PolicyLoadError(
            f"{path}: a data document must be a mapping, got {type(value).__name__}"
        )
    return DataDocument(str(path), mount, value)


def load_paths(paths: list[str | Path], *, data_at_root: bool = False) -> PolicyFiles:
    """Load every module and data document named by `paths` (files or directories)."""
    files = PolicyFiles()
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            raise PolicyLoadError(f"{root}: no such file or directory")
        candidates = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in candidates:
            if any(part.startswith(".") for part in path.relative_to(root).parts[:-1]):
                continue
            if path.suffix == ".rego":
                try:
                    source = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise PolicyLoadError(f"{path}: cannot read: {exc}") from None
                files.modules.append(parse_module(str(path), source))
            elif path.suffix in DATA_SUFFIXES:
                mount = ""
                if root.is_dir() and not data_at_root:
                    mount = ".".join(path.relative_to(root).parent.parts)
                doc = _data_file(path, mount)
                if doc:
                    files.data.append(doc)
            elif not root.is_dir():
                raise PolicyLoadError(f"{path}: not a Rego (.rego) or data (.json/.yaml) file")
    return files
