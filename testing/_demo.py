"""The demo application `konflux demo`, `konflux dev simulate` and the benchmarks build.

Three components (`api`, `web`, `worker`) with their image labels, the git
repository they come from, the SBOM each ships and the Chains-style SLSA v0.2
provenance the demo attests. `worker` lacks its `vendor` label on purpose, so the
demo policy (examples/image-policy.yaml) shows both outcomes.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import yaml

from konflux.engine.oci import SyncRegistry, parse_reference
from konflux.engine.sigstore.payloads import SLSA_PROVENANCE_V02
from konflux.testing._publish import Publisher, Signer

ROOT = Path(__file__).resolve().parents[1]
DEMO_POLICY = ROOT / "examples" / "image-policy.yaml"
COMPONENTS = {
    "api": {"name": "demo-api", "version": "1.0", "vendor": "Konflux"},
    "web": {"name": "demo-web", "version": "1.0", "vendor": "Konflux"},
    "worker": {"name": "demo-worker", "version": "1.0"},  # no vendor: fails required_labels
}
GIT_URL = "https://github.com/konflux-ci/demo-app"


def sbom_document(name: str) -> bytes:
    """A CycloneDX SBOM naming one library of the component."""
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "components": [{"type": "library", "name": f"{name}-lib", "purl": f"pkg:pypi/{name}@1.0"}],
    }
    return json.dumps(doc).encode()


def demo_provenance(commit: str) -> dict[str, Any]:
    """The SLSA v0.2 predicate Chains writes for a build of the demo app at `commit`."""
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


def demo_policy_json() -> str:
    """The demo image policy with its source paths made absolute (runs from any directory)."""
    doc = yaml.safe_load(DEMO_POLICY.read_text())
    for source in doc["spec"]["sources"]:
        source["policy"] = [str(ROOT / p) for p in source["policy"]]
    return json.dumps(doc)


def _publish_demo_component(
    publisher: Publisher, host: str, signer: Signer, name: str, labels: dict[str, str]
) -> dict[str, Any]:
    """One component built, signed, attested and with its SBOM; its Snapshot entry."""
    commit = secrets.token_hex(20)
    ref = publisher.publish(
        parse_reference(f"{host}/demo/{name}:v1"),
        signer=signer,
        files={f"app/{name}": secrets.token_bytes(128)},
        labels=labels,
        attestations=[(SLSA_PROVENANCE_V02, demo_provenance(commit))],
        sbom=sbom_document(name),
    )
    return {
        "name": name,
        "containerImage": f"{ref.context}@{ref.digest}",
        "source": {"git": {"url": GIT_URL, "revision": commit}},
    }


def publish_demo_app(host: str, workdir: Path) -> tuple[Path, Path]:
    """Push, sign and attest the demo app to the registry at `host`: (Snapshot file,
    public key file), both in `workdir`."""
    signer = Signer.generate()
    public = workdir / "cosign.pub"
    public.write_text(signer.public_pem)
    with SyncRegistry(insecure=[host]) as sync:
        publisher = Publisher(sync)
        components = [
            _publish_demo_component(publisher, host, signer, name, labels)
            for name, labels in COMPONENTS.items()
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


def publish_passing_components(host: str, count: int) -> tuple[list[str], str]:
    """`count` components that pass the demo policy (for benchmarks): their pinned images
    and the public key PEM."""
    signer = Signer.generate()
    with SyncRegistry(insecure=[host]) as sync:
        publisher = Publisher(sync)
        images = [
            _publish_demo_component(publisher, host, signer, f"c{i}", COMPONENTS["api"])[
                "containerImage"
            ]
            for i in range(count)
        ]
    return images, signer.public_pem
