"""Publishing a component the way a signed build leaves it: image, signature, attestations, SBOM.

One coroutine, `publish_component`, used by the demo, `dev simulate`, the
benchmarks and the tests: it pushes a one-layer image (random content unless
`files` are given), signs it with the key the `Signer` holds (cosign's `.sig`
tag), attests each predicate (`.att`, DSSE over an in-toto statement) and
attaches the SBOM (`.sbom`), all through the product's own registry client and
signing code. `Publisher` is its synchronous face over a `SyncRegistry`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from konflux.engine.oci import (
    ImageBuild,
    ImageReference,
    RegistryClient,
    SyncRegistry,
    build_image,
)
from konflux.engine.sigstore import (
    PrivateKey,
    attach_sbom,
    attest_image,
    generate_key_pair,
    load_private_key,
    sign_image,
)
from konflux.engine.sigstore import cosign_layout as layout

Attestation = tuple[str, Any]  # (predicate type, predicate)


@dataclass(frozen=True)
class Signer:
    """A cosign-compatible key pair: the private key to sign with and its public PEM."""

    key: PrivateKey
    public_pem: str
    private_pem: bytes = b""
    password: bytes = b""

    @classmethod
    def generate(cls, password: bytes = b"") -> Signer:
        pair = generate_key_pair(password)
        key = load_private_key(pair.private_pem, password)
        return cls(key, pair.public_pem.decode(), pair.private_pem, password)


async def publish_component(
    client: RegistryClient,
    ref: ImageReference,
    *,
    signer: Signer | None = None,
    files: Mapping[str, bytes] | None = None,
    image: ImageBuild | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    attestations: Iterable[Attestation] = (),
    sbom: bytes | None = None,
    sbom_media_type: str = layout.CYCLONEDX_JSON_MEDIA_TYPE,
) -> ImageReference:
    """Push an image to `ref` and what a build leaves beside it; the image by digest.

    Without a `signer` nothing is signed or attested (a build before the signer ran).
    `image` pushes a build made beforehand (its digest known to the predicates) instead
    of building one from `files`, `labels` and `annotations`.
    """
    if image is None:
        content = dict(files) if files is not None else {"app/data": secrets.token_bytes(128)}
        image = build_image(content, labels=labels, annotations=annotations)
    pushed = await image.push(client, ref)
    if signer is not None:
        await sign_image(client, pushed, signer.key)
        for predicate_type, predicate in attestations:
            await attest_image(client, pushed, signer.key, predicate_type, predicate)
    if sbom is not None:
        await attach_sbom(client, pushed, sbom, sbom_media_type)
    return pushed


@dataclass
class Publisher:
    """`publish_component` and its parts, blocking, over a `SyncRegistry`."""

    sync: SyncRegistry

    def publish(self, ref: ImageReference, **kw: Any) -> ImageReference:
        return self.sync.run(publish_component(self.sync.client, ref, **kw))

    def sign(self, ref: ImageReference, signer: Signer) -> None:
        self.sync.run(sign_image(self.sync.client, ref, signer.key))

    def attest(
        self, ref: ImageReference, signer: Signer, predicate_type: str, predicate: Any
    ) -> None:
        self.sync.run(attest_image(self.sync.client, ref, signer.key, predicate_type, predicate))
