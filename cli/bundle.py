"""`konflux policy bundle build|push|pull` and `konflux policy track-task`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from konflux.cli import options
from konflux.cli.command import Command, Failed, Group


@click.group("bundle", cls=Group)
def bundle() -> None:
    """Versioned policy (or data) bundles: OPA tarballs and OCI artifacts."""


@bundle.command("build")
@options.BUNDLE_BUILD
def build(directory: str, output: str, revision: str) -> None:
    """Write an OPA bundle tarball (.manifest with revision and roots) of DIRECTORY."""
    from konflux.engine.policy.bundle import build_tarball

    click.echo(str(build_tarball(directory, output, revision)))


@bundle.command("push")
@options.BUNDLE_PUSH
def push(directory: str, reference: str, revision: str | None) -> None:
    """Push DIRECTORY as an OCI bundle to REFERENCE and print its pinned reference."""
    from konflux.engine.oci import SyncRegistry
    from konflux.engine.policy.bundle import push_bundle

    ref = _reference(reference)
    with SyncRegistry() as registry:
        pinned = registry.run(
            push_bundle(registry.client, directory, ref, revision or ref.tag or "latest")
        )
    click.echo(f"oci::{pinned.context}@{pinned.digest}")


@bundle.command("pull")
@options.BUNDLE_PULL
def pull(reference: str, directory: str, force: bool) -> None:
    """Pull the bundle at REFERENCE into DIRECTORY and print its pinned reference.

    Only Rego and data files with plain relative names are written (no dot
    segments such as `.git/`); existing files are kept unless --force.
    """
    from konflux.engine.oci import SyncRegistry
    from konflux.engine.policy.bundle import pull_bundle

    ref = _reference(reference)
    with SyncRegistry() as registry:
        pinned = registry.run(pull_bundle(registry.client, ref, directory, force=force)).reference
    click.echo(f"oci::{pinned.context}@{pinned.digest}")


def _reference(text: str) -> Any:
    from konflux.engine.oci import parse_reference

    try:
        return parse_reference(text.removeprefix("oci::"))
    except ValueError as exc:
        raise Failed(f"{text}: {exc}") from None


@click.command("track-task", cls=Command)
@options.TRACK_TASK
def track_task(reference: str, data_file: str, effective_on: str | None) -> None:
    """Add or refresh the trusted-task record of REFERENCE.

    REFERENCE is a task bundle (REPO:TAG) or a git task (git+URL//PATH@REV).
    """
    from konflux.engine.policy.trusted_tasks import resolve_bundle, resolve_git, track

    key, ref = resolve_git(reference) if reference.startswith("git+") else resolve_bundle(reference)
    changed = track(Path(data_file), key, ref, effective_on)
    click.echo(f"{key}: {ref} ({'added' if changed else 'already current'})")
