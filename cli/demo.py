"""`konflux demo`: the main job end to end on loopback, with nothing but this repository.

Starts Debian's docker-registry on 127.0.0.1, builds a three-component sample
application, signs each image and attests a Chains-style SLSA provenance
with a fresh key, writes the Snapshot, and runs `konflux validate image
--images` on it with the shipped demo policy (examples/image-policy.yaml).
The `worker` component deliberately lacks its `vendor` label, so the report
shows both outcomes. The registry is stopped when done.
"""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path
from typing import Any

import click

from konflux.cli import options
from konflux.cli.command import Command
from konflux.controllers.demoapp import COMPONENTS, GIT_URL, sbom_document

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "examples" / "image-policy.yaml"


def _provenance(name: str, commit: str) -> dict[str, Any]:
    return {
        "buildType": "tekton.dev/v1/PipelineRun",
        "builder": {"id": "https://tekton.dev/chains/v2"},
        "invocation": {"parameters": {"git-url": GIT_URL, "revision": commit}},
        "metadata": {
            "buildStartedOn": "2026-11-01T10:00:00Z",
            "buildFinishedOn": "2026-11-01T10:05:00Z",
        },
        "materials": [{"uri": f"git+{GIT_URL}.git", "digest": {"sha1": commit}}],
        "buildConfig": {"tasks": [{"name": "build-container", "ref": {"name": "buildah"}}]},
    }


def _policy_with_absolute_sources() -> str:
    import yaml

    doc = yaml.safe_load(POLICY.read_text())
    for source in doc["spec"]["sources"]:
        source["policy"] = [str(ROOT / p) for p in source["policy"]]
    return json.dumps(doc)


def _key(workdir: Path) -> tuple[Any, Path]:
    from konflux.engine.sigstore import generate_key_pair, load_private_key

    pair = generate_key_pair(b"")
    public = workdir / "cosign.pub"
    public.write_bytes(pair.public_pem)
    return load_private_key(pair.private_pem, b""), public


def _publish_one(sync: Any, host: str, key: Any, name: str, labels: dict) -> dict:
    """Push one component's image, sign it, attest its provenance, attach its SBOM."""
    from konflux.engine.oci import build_image, parse_reference
    from konflux.engine.sigstore import attach_sbom, attest_image, sign_image

    build = build_image({f"app/{name}": secrets.token_bytes(128)}, labels=labels)
    ref = sync.run(build.push(sync.client, parse_reference(f"{host}/demo/{name}:v1")))
    commit = secrets.token_hex(20)
    sync.run(sign_image(sync.client, ref, key))
    sync.run(
        attest_image(
            sync.client, ref, key, "https://slsa.dev/provenance/v0.2", _provenance(name, commit)
        )
    )
    sync.run(attach_sbom(sync.client, ref, sbom_document(name), "application/vnd.cyclonedx+json"))
    return {
        "name": name,
        "containerImage": f"{ref.context}@{ref.digest}",
        "source": {"git": {"url": GIT_URL, "revision": commit}},
    }


def publish_many(host: str, workdir: Path, count: int) -> tuple[list[str], str]:
    """`count` passing components (for benchmarks): their pinned images and the public key PEM."""
    from konflux.engine.oci import SyncRegistry

    key, public = _key(workdir)
    labels = COMPONENTS["api"]
    with SyncRegistry(insecure=[host]) as sync:
        images = [
            _publish_one(sync, host, key, f"c{i}", labels)["containerImage"] for i in range(count)
        ]
    return images, public.read_text()


def publish(host: str, workdir: Path) -> tuple[Path, Path]:
    """Push, sign and attest the sample app; return (snapshot file, public key file)."""
    import yaml

    from konflux.engine.oci import SyncRegistry

    key, public = _key(workdir)
    with SyncRegistry(insecure=[host]) as sync:
        components = [
            _publish_one(sync, host, key, name, labels) for name, labels in COMPONENTS.items()
        ]
    snapshot = {
        "apiVersion": "appstudio.redhat.com/v1alpha1",
        "kind": "Snapshot",
        "metadata": {"name": "demo-app-snapshot"},
        "spec": {"application": "demo-app", "components": components},
    }
    path = workdir / "snapshot.yaml"
    path.write_text(yaml.safe_dump(snapshot, sort_keys=False))
    return path, public


@click.command("demo", cls=Command)
@options.DEMO
def demo(outputs: tuple[str, ...]) -> None:
    """Run the main job on a local registry: build, sign, attest, validate a Snapshot."""
    from konflux.cli.validate_image import validate_image
    from konflux.engine import cleanup
    from konflux.engine.oci.local_registry import LocalRegistry, free_port

    workdir = cleanup.temporary_directory("konflux-demo-")  # removed even on Ctrl-C
    try:
        click.echo("Starting a local registry (docker-registry) on 127.0.0.1 ...", err=True)
        with LocalRegistry(workdir / "registry", free_port()) as registry:
            click.echo("Building, signing and attesting api, web, worker ...", err=True)
            snapshot, public = publish(registry.host, workdir)
            click.echo(f"Validating the Snapshot {snapshot.name} ...\n", err=True)
            args = [
                "--images",
                str(snapshot),
                "--policy",
                _policy_with_absolute_sources(),
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
