"""Fixtures for `validate image`: keys, published (signed, attested) images, the validator."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from konflux.engine import Settings, load_policy
from konflux.engine.image.snapshot import Component, Snapshot
from konflux.engine.image.validator import ImageCheckSettings, SnapshotValidator
from konflux.engine.oci import ImageReference, SyncRegistry
from konflux.engine.report import Report
from konflux.engine.sigstore import check_options
from konflux.testing import Publisher as KitPublisher
from konflux.testing import Signer
from tests.fixtures.registry import OciTools, RegistryServer, make_sync_registry

ROOT = Path(__file__).resolve().parents[2]
PROVENANCE_V02 = "https://slsa.dev/provenance/v0.2"
TRUSTED_BUILDER = "https://tekton.dev/chains/v2"
LABELS = {"name": "app", "version": "1", "vendor": "Konflux"}


def provenance(builder: str = TRUSTED_BUILDER, finished: str = "2026-03-01T10:00:00Z") -> dict:
    return {
        "buildType": "tekton.dev/v1/PipelineRun",
        "builder": {"id": builder},
        "metadata": {"buildFinishedOn": finished},
        "materials": [],
    }


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer.generate()


@pytest.fixture(scope="session")
def other_signer() -> Signer:
    return Signer.generate()


@dataclass
class Publisher(KitPublisher):
    """The kit's publisher on the test registry, with the image tests' defaults."""

    registry: RegistryServer | None = None

    def image(
        self,
        repo: str,
        *,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        tag: str = "v1",
    ) -> ImageReference:
        assert self.registry is not None
        return self.publish(
            self.registry.ref(repo, tag),
            files={"app.bin": secrets.token_bytes(64)},
            labels=LABELS if labels is None else labels,
            annotations=annotations,
        )

    def attest(  # type: ignore[override]
        self, ref: ImageReference, signer: Signer, predicate: dict | None = None
    ) -> None:
        super().attest(ref, signer, PROVENANCE_V02, predicate or provenance())

    def release_ready(self, repo: str, signer: Signer, **kw: Any) -> ImageReference:
        ref = self.image(repo, **kw)
        self.sign(ref, signer)
        self.attest(ref, signer)
        return ref


@pytest.fixture
def publisher(oci: OciTools, registry: RegistryServer) -> Publisher:
    return Publisher(oci.sync, registry)


# The demo image policy's sources with only `name` required: what the ec-compatibility tests
# (cluster references, VSAs, the verify-conforma Task) validate against.
IMAGE_SPEC = {
    "sources": [
        {
            "policy": [str(ROOT / "examples/rego/image"), str(ROOT / "examples/rego/lib")],
            "ruleData": {
                "required_labels": ["name"],
                "allowed_builder_ids": ["https://tekton.dev/chains/v2"],
            },
        }
    ]
}


def demo_policy(**overrides: Any):
    """The shipped demo image policy, with its source paths made absolute."""
    spec = {
        "sources": [
            {
                "name": "release",
                "policy": [
                    str(ROOT / "examples" / "rego" / "image"),
                    str(ROOT / "examples" / "rego" / "lib"),
                ],
                "ruleData": {
                    "required_labels": ["name", "version", "vendor"],
                    "allowed_builder_ids": [TRUSTED_BUILDER],
                },
            }
        ],
        **overrides,
    }
    import json

    return load_policy(json.dumps(spec))


@pytest.fixture
def validate(
    signer: Signer,
) -> Iterator[Callable[..., Report]]:
    """Validate components (refs or (name, ref) pairs) with the demo policy."""
    made: list[SyncRegistry] = []

    def run(
        *components: Any,
        public_key: str | None = None,
        policy: Any = None,
        registry: SyncRegistry | None = None,
        **check_kw: Any,
    ) -> Report:
        sync = registry or make_sync_registry()
        made.append(sync)
        comps = [
            Component(c[0], str(c[1])) if isinstance(c, tuple) else Component("Unnamed", str(c))
            for c in components
        ]
        pem = public_key or signer.public_pem
        checks = ImageCheckSettings(
            trust=check_options(public_key=pem, ignore_rekor=True), key_pem=pem, **check_kw
        )
        validator = SnapshotValidator(policy or demo_policy(), Settings(), sync, checks)
        return validator.validate(Snapshot(application="demo", components=comps))

    yield run
    for sync in made:
        sync.close()


def codes(report: Report, kind: str = "violations", component: int = 0) -> list[str]:
    target = sorted(report.targets, key=lambda t: t.image, reverse=True)[component]
    return [r.code for r in getattr(target.outcome, kind)]
