"""Signing side: build and push cosign artifacts (what `cosign sign`, `cosign attest`
and `cosign attach sbom` write, and what Tekton Chains writes in a build).

Building is pure (`signature_layer`, `attestation_layer`, `sbom_image`); pushing
(`sign_image`, `attest_image`, `attach_sbom`) appends to the artifact image
already at the triangulation tag, uploads only new blobs, then moves the tag.
A Rekor bundle is attached when a `LocalLog` is given (we never call a public
log: signatures made here are `--tlog-upload=false` signatures otherwise).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from konflux.engine.errors import KonfluxError
from konflux.engine.oci import ImageReference, NotFoundError

from . import cosign_layout as layout
from .cosign_layout import Blob
from .dsse import sign_envelope
from .errors import SigningError
from .keys import PrivateKey
from .payloads import in_toto_statement, simple_signing_payload
from .rekor import LocalLog, hashedrekord_body, intoto_body
from .verify import RegistryClient, manifest_bytes


def _key_pem(key: PrivateKey, certificate_pem: str | None) -> bytes:
    return certificate_pem.encode() if certificate_pem else key.public.pem


def _cert_annotations(certificate_pem: str | None, chain_pem: str | None) -> dict[str, str]:
    if not certificate_pem:
        return {}
    # cosign always writes both annotations when there is a certificate.
    return {
        layout.CERTIFICATE_ANNOTATION: certificate_pem,
        layout.CHAIN_ANNOTATION: chain_pem or "",
    }


def signature_layer(
    key: PrivateKey,
    docker_reference: str,
    image_digest: str,
    *,
    annotations: Mapping[str, Any] | None = None,
    certificate_pem: str | None = None,
    chain_pem: str | None = None,
    log: LocalLog | None = None,
) -> tuple[Blob, dict[str, str]]:
    """A simple-signing layer and its annotations for `image_digest`."""
    payload = simple_signing_payload(docker_reference, image_digest, annotations)
    sig_b64 = base64.b64encode(key.sign(payload)).decode()
    ann = {layout.SIGNATURE_ANNOTATION: sig_b64, **_cert_annotations(certificate_pem, chain_pem)}
    if log is not None:
        body = hashedrekord_body(payload, sig_b64, _key_pem(key, certificate_pem))
        ann[layout.BUNDLE_ANNOTATION] = log.bundle(body).to_json()
    return Blob(payload, layout.SIMPLE_SIGNING_MEDIA_TYPE), ann


def attestation_layer(
    key: PrivateKey,
    statement: Mapping[str, Any],
    *,
    certificate_pem: str | None = None,
    chain_pem: str | None = None,
    log: LocalLog | None = None,
) -> tuple[Blob, dict[str, str]]:
    """A DSSE layer over `statement`, annotated as `cosign attest` does."""
    envelope = sign_envelope(json.dumps(statement, separators=(",", ":")).encode(), key)
    data = envelope.to_json()
    ann = {
        layout.SIGNATURE_ANNOTATION: "",
        layout.PREDICATE_TYPE_ANNOTATION: str(statement.get("predicateType", "")),
        **_cert_annotations(certificate_pem, chain_pem),
    }
    if log is not None:
        ann[layout.BUNDLE_ANNOTATION] = log.bundle(
            intoto_body(data, _key_pem(key, certificate_pem))
        ).to_json()
    return Blob(data, layout.DSSE_MEDIA_TYPE), ann


def sbom_image(document: bytes, media_type: str) -> layout.ArtifactImage:
    """The `.sbom` image: one layer holding the document (cosign `static.NewFile`)."""
    image, _ = layout.build_artifact_image([(Blob(document, media_type), {})])
    return image


async def _existing_layers(client: RegistryClient, ref: ImageReference) -> list[layout.CosignLayer]:
    try:
        fetched = await client.get_manifest(ref)
    except NotFoundError:
        return []
    except KonfluxError as exc:
        raise SigningError(f"reading existing artifacts at {ref}: {exc}") from exc
    return layout.layers_of(manifest_bytes(fetched), where=str(ref))


async def push_artifact_image(
    client: RegistryClient, ref: ImageReference, image: layout.ArtifactImage
) -> str:
    """Upload the image's blobs, then its manifest at `ref` (a tag); its digest."""
    try:
        for blob in (image.config, *image.layers):
            await client.push_blob(ref, blob.data, media_type=blob.media_type)
        await client.put_manifest(ref, image.manifest, image.media_type)
    except KonfluxError as exc:
        raise SigningError(f"pushing {ref}: {exc}") from exc
    return image.digest


def _tagged(image: ImageReference, suffix: str) -> ImageReference:
    if not image.digest:
        raise SigningError(f"{image}: resolve the image to a digest before signing it")
    return image.with_tag(layout.triangulation_tag(image.digest, suffix))


async def _append(
    client: RegistryClient, image: ImageReference, suffix: str, layer: tuple[Blob, dict[str, str]]
) -> str:
    ref = _tagged(image, suffix)
    existing = await _existing_layers(client, ref)
    artifact, _ = layout.build_artifact_image([layer], existing=existing)
    return await push_artifact_image(client, ref, artifact)


async def sign_image(
    client: RegistryClient,
    image: ImageReference,
    key: PrivateKey,
    *,
    annotations: Mapping[str, Any] | None = None,
    certificate_pem: str | None = None,
    chain_pem: str | None = None,
    log: LocalLog | None = None,
) -> str:
    """Sign `image` (a digest reference) and push the signature; the `.sig` manifest digest."""
    _tagged(image, layout.SIGNATURE_SUFFIX)  # fails early without a digest
    layer = signature_layer(
        key,
        image.context,
        str(image.digest),
        annotations=annotations,
        certificate_pem=certificate_pem,
        chain_pem=chain_pem,
        log=log,
    )
    return await _append(client, image, layout.SIGNATURE_SUFFIX, layer)


async def attest_image(
    client: RegistryClient,
    image: ImageReference,
    key: PrivateKey,
    predicate_type: str,
    predicate: Any,
    *,
    certificate_pem: str | None = None,
    chain_pem: str | None = None,
    log: LocalLog | None = None,
) -> str:
    """Attest `predicate` about `image` (a digest reference); the `.att` manifest digest."""
    _tagged(image, layout.ATTESTATION_SUFFIX)
    statement = in_toto_statement(predicate_type, predicate, image.context, str(image.digest))
    layer = attestation_layer(
        key, statement, certificate_pem=certificate_pem, chain_pem=chain_pem, log=log
    )
    return await _append(client, image, layout.ATTESTATION_SUFFIX, layer)


async def attach_sbom(
    client: RegistryClient, image: ImageReference, document: bytes, media_type: str
) -> str:
    """Attach an SBOM at `sha256-<hex>.sbom` (replacing any, as cosign); its manifest digest."""
    return await push_artifact_image(
        client, _tagged(image, layout.SBOM_SUFFIX), sbom_image(document, media_type)
    )
