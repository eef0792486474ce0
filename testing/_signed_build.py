"""One component built, recorded and signed as the Chains-style signer does it.

The signer's policy tests and `bench/upstream_policy_chains.py` both need a build whose
signature and provenance come from the signer (not from the tenant's pipeline), in a chosen
provenance format; this is that build.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from konflux.controllers.buildruns import finished_run
from konflux.controllers.chains.config import ChainsConfig
from konflux.controllers.chains.record import record_run
from konflux.controllers.chains.secrets import key_secrets
from konflux.controllers.chains.signing import RunSigner, SigningKey
from konflux.engine.oci import RegistryClient
from konflux.engine.sigstore import generate_key_pair
from konflux.testing._simulate import build_of, push_bundles, push_component, trusted_tasks


@dataclass(frozen=True)
class SignedBuild:
    """The signer's public key, the trusted-task data for the bundles the build used, and
    the Snapshot component naming the signed image."""

    public_pem: bytes
    trusted_tasks: dict[str, Any]
    component: dict[str, Any]

    def snapshot(self, application: str = "app") -> dict[str, Any]:
        return {"application": application, "components": [self.component]}


async def signed_build(
    host: str,
    fmt: str,
    *,
    tag: str = "latest",
    untrusted: bool = False,
    claim_other: bool = False,
) -> SignedBuild:
    """Push task bundles and a component to `host`, finish its build run and have the signer
    sign and attest it in `fmt` (a Chains `artifacts.pipelinerun.format`).

    `untrusted`: the buildah task comes from a bundle outside the trusted data (a control
    showing the rules read the tasks from the provenance). `claim_other`: the pipeline's own
    results name another image (pushed from a laptop) than the one its buildah task built.
    """
    pair = generate_key_pair(b"")
    key = SigningKey.from_secret(key_secrets("ns", "signing-secrets", pair, b"")[0], "kit")
    async with RegistryClient() as client:
        bundles = await push_bundles(client, host)
        used = bundles
        if untrusted:
            other = await push_bundles(client, host, repo="someone/tasks")
            used = dict(bundles, **{"build-container": other["build-container"]})
        image, sbom = await push_component(client, host, "api", tag=tag)
        build = build_of("api", image, sbom, used, f"api-on-push-{tag}", "d" * 40)
        run, trs = finished_run(build, datetime(2026, 1, 5, tzinfo=UTC), f"uid-{tag}")
        if claim_other:
            image, _ = await push_component(client, host, "api", tag=f"{tag}-laptop")
            for result in run["status"]["results"]:
                if result["name"] == "IMAGE_DIGEST":
                    result["value"] = str(image.digest)
        config = ChainsConfig.from_configmap({"artifacts.pipelinerun.format": fmt})
        await RunSigner(client, key, config).sign(record_run(run, trs))
    component = {
        "name": "api",
        "containerImage": f"{image.context}@{image.digest}",
        "source": {"git": {"url": build.git_url, "revision": build.commit}},
    }
    return SignedBuild(pair.public_pem, trusted_tasks(bundles), component)
