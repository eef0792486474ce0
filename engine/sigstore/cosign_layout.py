"""Where cosign keeps signatures, attestations and SBOMs in a registry, and how they look.

Triangulation: for an image `repo@sha256:<hex>`, cosign stores

- signatures at `repo:sha256-<hex>.sig`: an OCI image whose layers are the
  simple-signing payloads (`application/vnd.dev.cosign.simplesigning.v1+json`),
  each layer annotated with `dev.cosignproject.cosign/signature` (base64) and,
  when there are, `dev.sigstore.cosign/certificate`, `.../chain` (PEM) and
  `.../bundle` (the Rekor bundle JSON);
- attestations at `repo:sha256-<hex>.att`: layers are DSSE envelopes
  (`application/vnd.dsse.envelope.v1+json`) annotated with `predicateType` and
  an empty signature annotation (the signature is inside the envelope);
- an SBOM at `repo:sha256-<hex>.sbom`: one layer holding the document.

(cosign `pkg/oci/static`, `pkg/types`, `pkg/oci/remote/options.go`.)
This module is pure: manifests in, layer descriptions out, and back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from konflux.engine.digests import sha256_digest
from konflux.engine.documents import json_loads

from .errors import PayloadError

SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate"
CHAIN_ANNOTATION = "dev.sigstore.cosign/chain"
BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle"
RFC3161_ANNOTATION = "dev.sigstore.cosign/rfc3161timestamp"
PREDICATE_TYPE_ANNOTATION = "predicateType"

SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json"
OCI_MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"

CYCLONEDX_JSON_MEDIA_TYPE = "application/vnd.cyclonedx+json"
CYCLONEDX_XML_MEDIA_TYPE = "application/vnd.cyclonedx+xml"
SPDX_MEDIA_TYPE = "text/spdx"
SPDX_JSON_MEDIA_TYPE = "text/spdx+json"
SYFT_MEDIA_TYPE = "application/vnd.syft+json"

# artifactType of cosign signatures stored as OCI 1.1 referrers (cosign
# internal/pkg/oci/remote `ArtifactType("sig")`).
SIGNATURE_ARTIFACT_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json"

SIGNATURE_SUFFIX = "sig"
ATTESTATION_SUFFIX = "att"
SBOM_SUFFIX = "sbom"
# In the order `ec.oci.image_tag_refs` lists them (cosign's SignatureTag, AttestationTag, SBOMTag).
SUFFIXES = (SIGNATURE_SUFFIX, ATTESTATION_SUFFIX, SBOM_SUFFIX)

# cosign refuses signature images with more layers (pkg/oci/mutate: maxLayers).
MAX_LAYERS = 1000


def triangulation_tag(digest: str, suffix: str) -> str:
    """`sha256:<hex>` → `sha256-<hex>.<suffix>`."""
    algorithm, sep, hex_digest = digest.partition(":")
    if not sep or not hex_digest:
        raise PayloadError(f"not a digest: {digest!r} (expected sha256:<hex>)")
    return f"{algorithm}-{hex_digest}.{suffix}"


@dataclass(frozen=True)
class CosignLayer:
    """One layer of a cosign signature/attestation image, content not yet fetched."""

    digest: str
    media_type: str
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def signature_b64(self) -> str:
        return self.annotations.get(SIGNATURE_ANNOTATION, "")

    @property
    def certificate_pem(self) -> str | None:
        return self.annotations.get(CERTIFICATE_ANNOTATION) or None

    @property
    def chain_pem(self) -> str | None:
        return self.annotations.get(CHAIN_ANNOTATION) or None

    @property
    def bundle_json(self) -> str | None:
        return self.annotations.get(BUNDLE_ANNOTATION) or None

    def descriptor(self) -> dict[str, Any]:
        d: dict[str, Any] = {"mediaType": self.media_type, "size": self.size, "digest": self.digest}
        if self.annotations:
            d["annotations"] = dict(self.annotations)
        return d


def layers_of(manifest: bytes | Mapping[str, Any], *, where: str) -> list[CosignLayer]:
    """The layers of a cosign image manifest; `where` names it in errors."""
    if isinstance(manifest, (bytes, str)):
        try:
            doc = json_loads(manifest)
        except ValueError as exc:
            raise PayloadError(f"{where}: manifest is not JSON: {exc}") from exc
    else:
        doc = manifest
    layers = doc.get("layers") if isinstance(doc, Mapping) else None
    if not isinstance(layers, list):
        raise PayloadError(f"{where}: not an image manifest (no layers)")
    if len(layers) > MAX_LAYERS:
        raise PayloadError(f"{where}: {len(layers)} layers exceed the limit of {MAX_LAYERS}")
    out = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict) or not isinstance(layer.get("digest"), str):
            raise PayloadError(f"{where}: layer {i} has no digest")
        ann = layer.get("annotations") or {}
        if not isinstance(ann, dict) or not all(isinstance(v, str) for v in ann.values()):
            raise PayloadError(f"{where}: layer {i} annotations are not an object of strings")
        size = layer.get("size", 0)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise PayloadError(f"{where}: layer {i} size {size!r} is not a non-negative integer")
        media_type = layer.get("mediaType", "")
        if not isinstance(media_type, str):
            raise PayloadError(f"{where}: layer {i} mediaType is not a string")
        out.append(CosignLayer(layer["digest"], media_type, size, dict(ann)))
    return out


@dataclass(frozen=True)
class Blob:
    data: bytes
    media_type: str

    @property
    def digest(self) -> str:
        return sha256_digest(self.data)

    def descriptor(self, annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
        d: dict[str, Any] = {
            "mediaType": self.media_type,
            "size": len(self.data),
            "digest": self.digest,
        }
        if annotations:
            d["annotations"] = dict(annotations)
        return d


@dataclass(frozen=True)
class ArtifactImage:
    """A cosign artifact image ready to push: its blobs and manifest bytes."""

    manifest: bytes
    config: Blob
    layers: tuple[Blob, ...]

    @property
    def digest(self) -> str:
        return sha256_digest(self.manifest)

    media_type: str = OCI_MANIFEST_MEDIA_TYPE


def _config_for(diff_ids: Iterable[str]) -> bytes:
    # The config go-containerregistry writes for an image built from `empty.Image`:
    # no platform, the layers' diff IDs (uncompressed == compressed for these layers).
    diff_ids = list(diff_ids)  # used twice below
    doc = {
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"} for _ in diff_ids],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "config": {},
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def build_artifact_image(
    layers: list[tuple[Blob, Mapping[str, str]]],
    *,
    existing: list[CosignLayer] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> tuple[ArtifactImage, list[dict[str, Any]]]:
    """A manifest appending `layers` to `existing` ones (kept by descriptor, not refetched).

    Returns the image and the full descriptor list. A new layer identical to an
    existing one (same digest and annotations) is not added twice, as cosign's
    duplicate detector does.
    """
    descriptors: list[dict[str, Any]] = [lay.descriptor() for lay in existing or []]
    seen = {
        (d["digest"], json.dumps(d.get("annotations", {}), sort_keys=True)) for d in descriptors
    }
    new_blobs = []
    for blob, ann in layers:
        d = blob.descriptor(ann)
        key = (d["digest"], json.dumps(d.get("annotations", {}), sort_keys=True))
        if key in seen:
            continue
        seen.add(key)
        descriptors.append(d)
        new_blobs.append(blob)
    if len(descriptors) > MAX_LAYERS:
        raise PayloadError(
            f"signature image would have {len(descriptors)} layers (limit {MAX_LAYERS})"
        )
    config = Blob(_config_for(d["digest"] for d in descriptors), OCI_CONFIG_MEDIA_TYPE)
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST_MEDIA_TYPE,
        "config": config.descriptor(),
        "layers": descriptors,
    }
    if annotations:
        manifest["annotations"] = dict(annotations)
    raw = json.dumps(manifest, separators=(",", ":")).encode()
    return ArtifactImage(raw, config, tuple(new_blobs)), descriptors


def sbom_media_type(kind: str, data: bytes, filename: str = "") -> str:
    """The layer media type `cosign attach sbom --type kind` uses for this document."""
    looks_json = filename.endswith(".json") or data.lstrip()[:1] in (b"{", b"[")
    if kind == "cyclonedx":
        return CYCLONEDX_JSON_MEDIA_TYPE if looks_json else CYCLONEDX_XML_MEDIA_TYPE
    if kind == "spdx":
        return SPDX_JSON_MEDIA_TYPE if looks_json else SPDX_MEDIA_TYPE
    if kind == "syft":
        return SYFT_MEDIA_TYPE
    raise PayloadError(f"unknown SBOM type {kind!r}, expected (spdx|cyclonedx|syft)")
