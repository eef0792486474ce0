"""The wheel carries what the code reads beside itself.

The shipped Rego (default gates and admission bundles), the demo policy, the deployed
policies and the Tekton tasks the kits read (`konflux demo`, `konflux dev simulate`) are
looked up next to the `konflux` package; pyproject maps each folder to a package with
package-data globs. A file those globs miss works from a checkout and is missing from an
installed wheel, so every file in those folders must match one.
"""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _matches(relative: PurePosixPath, patterns: list[str]) -> bool:
    # setuptools' "**/" also matches files at the package's top level.
    return any(
        relative.match(p) or (p.startswith("**/") and relative.match(p[3:])) for p in patterns
    )


@pytest.mark.parametrize(
    "package", ["konflux.rego", "konflux.examples", "konflux.deploy", "konflux.tasks"]
)
def test_every_data_file_is_in_the_wheel(package: str):
    folder = ROOT / CONFIG["package-dir"][package]
    assert package in CONFIG["packages"]
    patterns = CONFIG["package-data"][package]
    files = [p for p in folder.rglob("*") if p.is_file() and p.name != ".gitkeep"]
    assert files, folder
    missed = [
        str(p.relative_to(ROOT))
        for p in files
        if "__pycache__" not in p.parts
        and not _matches(PurePosixPath(p.relative_to(folder).as_posix()), patterns)
    ]
    assert not missed, f"{package}: not in the wheel: {missed}"


def test_the_kits_read_inside_the_package():
    """The kits find examples/, deploy/ and tasks/ beside konflux.testing's parent: the
    repository root in a checkout, site-packages/konflux in a wheel."""
    from konflux.testing import _demo, _simulate

    assert _demo.DEMO_POLICY.is_file()
    assert _simulate.VERIFY_CONFORMA.is_file()
