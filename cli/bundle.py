"""`konflux policy bundle build|push|pull` and `konflux policy track-task`."""

from __future__ import annotations

from pathlib import Path

import click

from konflux.engine.errors import KonfluxError
from konflux.engine.oci import SyncRegistry, parse_reference
from konflux.engine.policy.bundle import build_tarball, pull_bundle, push_bundle
from konflux.engine.policy.trusted_tasks import resolve_bundle, resolve_git, track


def _fail(exc: Exception) -> click.ClickException:
    from konflux.cli.main import Failed

    return Failed(str(exc))


@click.group("bundle")
def bundle() -> None:
    """Versioned policy (or data) bundles: OPA tarballs and OCI artifacts."""


@bundle.command("build")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False))
@click.option("--revision", default="dev", show_default=True, help="The bundle's revision.")
def build(directory: str, output: str, revision: str) -> None:
    """Write an OPA bundle tarball (.manifest with revision and roots) of DIRECTORY."""
    try:
        click.echo(str(build_tarball(directory, output, revision)))
    except KonfluxError as exc:
        raise _fail(exc) from None


@bundle.command("push")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("reference")
@click.option("--revision", help="Version annotation (default: the reference's tag).")
def push(directory: str, reference: str, revision: str | None) -> None:
    """Push DIRECTORY as an OCI bundle to REFERENCE and print its pinned reference."""
    try:
        ref = parse_reference(reference.removeprefix("oci::"))
        with SyncRegistry() as registry:
            pinned = registry.run(
                push_bundle(registry.client, directory, ref, revision or ref.tag or "latest")
            )
    except (KonfluxError, ValueError) as exc:
        raise _fail(exc) from None
    click.echo(f"oci::{pinned.context}@{pinned.digest}")


@bundle.command("pull")
@click.argument("reference")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Replace files that already exist in DIRECTORY.")
def pull(reference: str, directory: str, force: bool) -> None:
    """Pull the bundle at REFERENCE into DIRECTORY and print its pinned reference.

    Only Rego and data files with plain relative names are written (no dot
    segments such as `.git/`); existing files are kept unless --force.
    """
    try:
        ref = parse_reference(reference.removeprefix("oci::"))
        with SyncRegistry() as registry:
            pulled = registry.run(pull_bundle(registry.client, ref, directory, force=force))
    except (KonfluxError, ValueError) as exc:
        raise _fail(exc) from None
    pinned = pulled.reference
    click.echo(f"oci::{pinned.context}@{pinned.digest}")


@click.command("track-task")
@click.argument("reference")
@click.option("--data", "data_file", required=True, type=click.Path(dir_okay=False))
@click.option("--effective-on", help="RFC 3339 time the record takes effect (default: now).")
def track_task(reference: str, data_file: str, effective_on: str | None) -> None:
    """Add or refresh the trusted-task record of REFERENCE.

    REFERENCE is a task bundle (REPO:TAG) or a git task (git+URL//PATH@REV).
    """
    try:
        key, ref = (
            resolve_git(reference) if reference.startswith("git+") else resolve_bundle(reference)
        )
        changed = track(Path(data_file), key, ref, effective_on)
    except KonfluxError as exc:
        raise _fail(exc) from None
    click.echo(f"{key}: {ref} ({'added' if changed else 'already current'})")
