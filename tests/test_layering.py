"""The layers import only downwards: read every module's imports (`ast`, function-local ones
included) and check each package against the layer rules of docs/architecture.md.

engine <- kube <- webhooks | controllers <- console <- cli, with konflux.testing (the kits)
beside cli: the engine knows no caller; webhooks and controllers know neither the CLI nor
each other; the CLI is flags and output over the engine's requests; and only the kit
commands reach konflux.testing, through its public facade.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "kube", "webhooks", "controllers", "console", "cli", "testing")

# package -> the konflux packages it must never import.
FORBIDDEN = {
    "engine": {"cli", "webhooks", "controllers", "console", "testing", "kube"},
    "kube": {"cli", "webhooks", "controllers", "console", "testing"},
    "webhooks": {"cli", "controllers", "console", "testing"},
    "controllers": {"cli", "webhooks", "console", "testing"},
    "console": {"cli", "testing"},
    "cli": set(),
    "testing": set(),
}
# Work the CLI must leave to the engine (the request objects): worker pools and deadlines,
# deriving signature trust, attaching VSAs.
CLI_FORBIDDEN_NAMES = {"concurrent", "ThreadPoolExecutor", "check_options", "VSA_PREDICATE"}


def imports_of(path: Path) -> list[tuple[str, tuple[str, ...], int]]:
    """(module, imported names, line) of every absolute import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, tuple(a.name for a in node.names), node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, (), node.lineno) for a in node.names]
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def konflux_package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "konflux" and len(parts) > 1 else None


@pytest.mark.parametrize("package", [p for p in PACKAGES if FORBIDDEN[p]])
def test_package_imports_no_higher_layer(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in modules(package)
        for module, _, line in imports_of(path)
        if konflux_package(module) in FORBIDDEN[package]
    ]
    assert wrong == []


def test_private_kit_modules_are_imported_only_inside_the_kit() -> None:
    """Production code (the kit commands in cli) uses `konflux.testing`'s public names."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for package in PACKAGES
        if package != "testing"
        for path in modules(package)
        for module, _, line in imports_of(path)
        if module.startswith("konflux.testing.")
    ]
    assert wrong == []


def test_cli_is_flags_and_output() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} uses {name}"
        for path in modules("cli")
        for module, names, line in imports_of(path)
        for name in (module.split(".")[0], *names)
        if name in CLI_FORBIDDEN_NAMES
    ]
    assert wrong == []


def test_bench_imports_only_the_installed_package() -> None:
    """Benchmarks run from the installed `konflux`, never from the test tree or source paths."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / "bench").glob("*.py"))
        for module, _, line in imports_of(path)
        if module.split(".")[0] in {"tests", "cli", "engine", "support", "conftest"}
        or module.split(".")[0].endswith("_support")
        or module.startswith("test_")
    ]
    assert wrong == []


def test_the_rules_see_a_violation(tmp_path: Path) -> None:
    """The check reads function-local imports too (most of ours are)."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from konflux.cli.main import main\n    return main\n")
    assert [konflux_package(m) for m, _, _ in imports_of(module)] == ["cli"]
