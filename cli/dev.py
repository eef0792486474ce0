"""`konflux dev registry` and `konflux dev image`: a local registry and an image to try commands on.

With these two, every example in docs/ runs with the CLI alone: start a
registry on loopback, push a small image to it, then sign, attest and
validate it.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import click

from konflux.cli import options
from konflux.cli.command import Command


@click.command("registry", cls=Command)
@options.DEV_REGISTRY
def dev_registry(port: int, storage: str | None) -> None:
    """Serve Debian's docker-registry on 127.0.0.1:PORT until Ctrl-C.

    It is stopped (and a temporary storage directory removed) however the command
    ends; a port already in use is an error, never a second registry.
    """
    from konflux.engine import cleanup
    from konflux.testing import LocalRegistry

    root = Path(storage) if storage else cleanup.temporary_directory("konflux-registry-")
    registry = LocalRegistry(root, port).start()
    click.echo(f"Serving {registry.url} (storage {root}); Ctrl-C stops it", err=True)
    click.echo(registry.host)
    try:
        while registry.process is not None and registry.process.poll() is None:
            time.sleep(0.5)
    finally:
        registry.stop()
    raise click.ClickException(f"docker-registry exited with {registry.process.returncode}")


@click.command("image", cls=Command)
@options.DEV_IMAGE
def dev_image(
    reference: str,
    labels: tuple[str, ...],
    base: str | None,
    files: tuple[str, ...],
    platforms: tuple[str, ...],
    insecure: tuple[str, ...],
) -> None:
    """Build a one-layer image (or an index of them) and push it to REFERENCE.

    Prints it pinned (REPO@DIGEST). With --file the content, and so the digest, is the
    same on every run.
    """
    from konflux.engine.image.validator import BASE_DIGEST, BASE_NAME
    from konflux.engine.oci import SyncRegistry, build_image, build_index, parse_reference

    if base and platforms:
        raise click.UsageError("--base names the base of one image; it cannot go with --platform")

    config_labels = dict(_pairs(labels, "--label", "="))
    content = {name: text.encode() for name, text in _pairs(files, "--file", "=")} or {
        "app/data": secrets.token_bytes(64)
    }
    with SyncRegistry(insecure=insecure) as registry:
        annotations = {}
        if base:  # as buildah records a FROM image
            pinned = registry.resolve(parse_reference(base))
            annotations = {BASE_NAME: base, BASE_DIGEST: str(pinned.digest)}
        if platforms:
            image: Any = build_index(
                content, [_platform(p) for p in platforms], labels=config_labels
            )
        else:
            image = build_image(content, labels=config_labels, annotations=annotations)
        ref = registry.run(image.push(registry.client, parse_reference(reference)))
    click.echo(f"{ref.context}@{ref.digest}")


def _platform(text: str) -> tuple[str, str]:
    os_name, sep, arch = text.partition("/")
    if not (sep and os_name and arch):
        raise click.BadParameter(f"{text!r} is not OS/ARCH", param_hint="'--platform'")
    return os_name, arch


def _pairs(values: tuple[str, ...], flag: str, sep: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        key, found, rest = value.partition(sep)
        if not found or not key:
            raise click.BadParameter(f"{value!r} is not KEY{sep}VALUE", param_hint=f"'{flag}'")
        out.append((key, rest))
    return out
