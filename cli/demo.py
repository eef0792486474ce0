"""`konflux demo`: the main job end to end on loopback, with nothing but this repository.

Starts Debian's docker-registry on 127.0.0.1, builds a three-component sample
application, signs each image and attests a Chains-style SLSA provenance
with a fresh key, writes the Snapshot, and runs `konflux validate image
--images` on it with the shipped demo policy (examples/image-policy.yaml).
The `worker` component deliberately lacks its `vendor` label, so the report
shows both outcomes. The registry is stopped when done. The kit doing the
work is `konflux.testing` (local registry, demo app publisher).
"""

from __future__ import annotations

import shutil

import click

from konflux.cli import options
from konflux.cli.command import Command


@click.command("demo", cls=Command)
@options.DEMO
def demo(outputs: tuple[str, ...]) -> None:
    """Run the main job on a local registry: build, sign, attest, validate a Snapshot."""
    from konflux.cli.validate_image import validate_image
    from konflux.engine import cleanup
    from konflux.testing import LocalRegistry, demo_policy_json, free_port, publish_demo_app

    workdir = cleanup.temporary_directory("konflux-demo-")  # removed even on Ctrl-C
    try:
        click.echo("Starting a local registry (docker-registry) on 127.0.0.1 ...", err=True)
        with LocalRegistry(workdir / "registry", free_port()) as registry:
            click.echo("Building, signing and attesting api, web, worker ...", err=True)
            snapshot, public = publish_demo_app(registry.host, workdir)
            click.echo(f"Validating the Snapshot {snapshot.name} ...\n", err=True)
            args = [
                "--images",
                str(snapshot),
                "--policy",
                demo_policy_json(),
                "--public-key",
                str(public),
                "--ignore-rekor",
                "--no-strict",
            ]
            for o in outputs:
                args += ["--output", o]
            validate_image.main(args, standalone_mode=False, prog_name="konflux validate image")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
