"""`konflux version`: what this build is and what it is made of (`ec version`'s layout)."""

from __future__ import annotations

import json
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import click

from konflux import __version__
from konflux.cli import options
from konflux.cli.command import Command

_SOURCE = Path(__file__).resolve().parents[1]


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(_SOURCE), *args], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _package(name: str) -> str:
    from importlib import metadata  # ~10 ms: only `konflux version` needs it

    try:
        return "v" + metadata.version(name)
    except metadata.PackageNotFoundError:
        return "N/A"


def _opa() -> str:
    """The OPA version compiled into the embedded engine (from the library's Go build info)."""
    try:
        import opa_bindings

        library = Path(opa_bindings.__file__).with_name("libopabridge.so").read_bytes()
    except (ImportError, OSError):
        return "N/A"
    found = re.search(rb"github\.com/open-policy-agent/opa\t(v[0-9][0-9A-Za-z.+-]*)", library)
    return found.group(1).decode() if found else "N/A"


def version_info() -> dict:
    commit = _git("rev-parse", "HEAD") or "unknown"
    changed = _git("log", "-1", "--format=%ct")
    when = datetime.fromtimestamp(int(changed), UTC) if changed.isdigit() else None
    return {
        "Version": f"v{__version__}",
        "Commit": commit,
        "ChangedOn": when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else "",
        "Components": [
            {"Name": "OPA", "Version": _opa()},
            {"Name": "Sigstore", "Version": _package("sigstore")},
            {"Name": "Kopf", "Version": _package("kopf")},
            {"Name": "Python", "Version": "v" + platform.python_version()},
        ],
    }


def _ago(when: datetime) -> str:
    seconds = int((datetime.now(UTC) - when).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@click.command("version", cls=Command)
@options.VERSION
def version(as_json: bool, short: bool) -> None:
    """Print version information."""
    info = version_info()
    if as_json:
        click.echo(json.dumps(info))
        return
    if short:
        click.echo(info["Version"], nl=False)
        return
    rows = [("Version", info["Version"]), ("Source ID", info["Commit"])]
    if info["ChangedOn"]:
        when = datetime.strptime(info["ChangedOn"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        rows.append(("Change date", f"{when:%Y-%m-%d %H:%M:%S} +0000 UTC ({_ago(when)} ago)"))
    rows += [(c["Name"], c["Version"]) for c in info["Components"]]
    click.echo("".join(f"{name:<19}{value}\n" for name, value in rows), nl=False)
