"""Signing a recorded run: cosign signatures and DSSE attestations, each pushed once.

Uses the engine's one registry client and its signing functions (`signature_layer`,
`attestation_layer`, `push_artifact_image`). Every push is idempotent: before
appending, the artifact tag's layers are read and verified with the signer's own key;
a signature of the same image digest, or an attestation whose statement is the same
document, means the work was done already (by this signer before a crash, or by a
concurrent reconcile), and nothing is pushed. After pushing, the layer is read back, so
a push lost to a concurrent writer of the same tag is retried instead of reported as
done. Transparency-log upload (Rekor) is optional and off by default.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from konflux.controllers.chains import provenance
from konflux.controllers.chains.artifacts import oci_images
from konflux.controllers.chains.config import ChainsConfig
from konflux.controllers.chains.record import PIPELINE_RUN, RunRecord
from konflux.controllers.locks import KeyedLocks
from konflux.engine.errors import KonfluxError
from konflux.engine.oci import (
    ImageReference,
    InvalidReferenceError,
    RegistryClient,
    parse_reference,
)
from konflux.engine.sigstore import CheckOptions, PrivateKey, load_private_key, load_public_key
from konflux.engine.sigstore import cosign_layout as layout
from konflux.engine.sigstore.rekor import RekorBundle, hashedrekord_body, intoto_body
from konflux.engine.sigstore.sign import attestation_layer, push_artifact_image, signature_layer
from konflux.engine.sigstore.verify import (
    fetch_artifact_layers,
    verify_attestation_layers,
    verify_signature_layers,
)

_PUSH_ATTEMPTS = 3


class SigningFailure(KonfluxError):
    """Signing a run could not complete; the message says which artifact and why."""


@dataclass(frozen=True)
class SigningKey:
    """The signer's key pair, from the `signing-secrets` Secret (Chains' cosign.* keys)."""

    private: PrivateKey
    public_pem: bytes

    @classmethod
    def from_secret(cls, secret: Mapping[str, Any], where: str) -> SigningKey:
        data = secret.get("data") or {}

        def field_(name: str, required: bool = True) -> bytes:
            if name not in data:
                if required:
                    raise SigningFailure(f"{where}: no {name} in the Secret")
                return b""
            try:
                return base64.b64decode(str(data[name]), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise SigningFailure(f"{where}: {name} is not base64: {exc}") from exc

        try:
            private = load_private_key(field_("cosign.key"), field_("cosign.password", False))
        except KonfluxError as exc:
            raise SigningFailure(f"{where}: cosign.key: {exc}") from exc
        public_pem = field_("cosign.pub", False) or private.public.pem
        if load_public_key(public_pem).pem != private.public.pem:
            raise SigningFailure(f"{where}: cosign.pub is not the public key of cosign.key")
        return cls(private, private.public.pem)

    @property
    def check_options(self) -> CheckOptions:
        return CheckOptions(public_key=self.private.public, ignore_rekor=True)


@dataclass
class SigningOutcome:
    """What signing one run did (for logs, annotations, the bench and the tests)."""

    signatures_pushed: int = 0
    signatures_present: int = 0
    attestations_pushed: int = 0
    attestations_present: int = 0
    transparency: list[str] = field(default_factory=list)


class RekorLog:
    """A Rekor transparency log we upload entries to (`transparency.enabled`)."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url, self.session = url.rstrip("/"), session

    async def upload(self, proposed: Mapping[str, Any]) -> tuple[RekorBundle, str]:
        """Post an entry; its bundle and the entry's URL (Chains' transparency annotation)."""
        endpoint = f"{self.url}/api/v1/log/entries"
        try:
            async with self.session.post(endpoint, json=proposed) as resp:
                text = await resp.text()
                if resp.status not in (200, 201, 409):
                    raise SigningFailure(f"Rekor {endpoint}: HTTP {resp.status}: {text[:300]}")
                doc = json.loads(text)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise SigningFailure(f"Rekor {endpoint}: {exc}") from exc
        try:
            (entry,) = doc.values()
            bundle = RekorBundle(
                base64.b64decode(entry["verification"]["signedEntryTimestamp"]),
                entry["body"],
                int(entry["integratedTime"]),
                int(entry["logIndex"]),
                entry["logID"],
            )
        except (AttributeError, KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise SigningFailure(f"Rekor {endpoint}: unexpected answer: {exc}") from exc
        return bundle, f"{self.url}/api/v1/log/entries?logIndex={bundle.log_index}"


def _proposed(body_b64: str, envelope: bytes | None = None) -> dict[str, Any]:
    entry = json.loads(base64.b64decode(body_b64))
    if envelope is not None:  # intoto: the log wants the envelope itself, it hashes it
        env = json.loads(envelope)
        entry["spec"]["content"]["envelope"]["payload"] = env["payload"]
    return entry


Layers = list[tuple[layout.CosignLayer, bytes]]


def _has_signature(layers: Layers, image: ImageReference, key: SigningKey) -> bool:
    return bool(verify_signature_layers(layers, str(image.digest), key.check_options).verified)


def _has_statement(
    layers: Layers, image: ImageReference, key: SigningKey, statement: Mapping[str, Any]
) -> bool:
    report = verify_attestation_layers(layers, str(image.digest), key.check_options)
    return any(c.statement == statement for c in report.verified)


class RunSigner:
    """Signs recorded runs with one key, over one registry client."""

    def __init__(
        self,
        client: RegistryClient,
        key: SigningKey,
        config: ChainsConfig,
        rekor: RekorLog | None = None,
    ) -> None:
        self.client, self.key, self.config, self.rekor = client, key, config, rekor
        # One writer per artifact tag in this process: appends are read-modify-write. A
        # tag's lock is dropped once nobody holds or waits on it (every image ever signed
        # would otherwise keep one).
        self._locks = KeyedLocks()

    def _lock(self, image: ImageReference, suffix: str) -> AbstractAsyncContextManager[None]:
        return self._locks.hold(f"{image.context}@{image.digest}.{suffix}")

    async def _ensure(
        self,
        image: ImageReference,
        suffix: str,
        present: Callable[[Layers], bool],
        make: Callable[[], Awaitable[tuple[Any, dict[str, str]]]],
    ) -> bool:
        """Push a layer unless the tag already holds it; read back until it does. True when
        this call pushed it."""
        ref = image.with_tag(layout.triangulation_tag(str(image.digest), suffix))
        async with self._lock(image, suffix):
            pushed = False
            for _ in range(_PUSH_ATTEMPTS):
                layers = await fetch_artifact_layers(self.client, image, suffix) or []
                if present(layers):
                    return pushed
                artifact, _ = layout.build_artifact_image(
                    [await make()], existing=[lay for lay, _ in layers]
                )
                await push_artifact_image(self.client, ref, artifact)
                pushed = True
            raise SigningFailure(
                f"{image}: the .{suffix} layer did not stay at its tag after "
                f"{_PUSH_ATTEMPTS} pushes (another writer keeps replacing it)"
            )

    async def sign_image(self, image: ImageReference, outcome: SigningOutcome) -> None:
        async def make() -> tuple[Any, dict[str, str]]:
            blob, ann = signature_layer(self.key.private, image.context, str(image.digest))
            if self.rekor is not None:
                sig = ann[layout.SIGNATURE_ANNOTATION]
                body = hashedrekord_body(blob.data, sig, self.key.public_pem)
                bundle, url = await self.rekor.upload(_proposed(body))
                ann[layout.BUNDLE_ANNOTATION] = bundle.to_json()
                outcome.transparency.append(url)
            return blob, ann

        def present(layers: Layers) -> bool:
            return _has_signature(layers, image, self.key)

        if await self._ensure(image, layout.SIGNATURE_SUFFIX, present, make):
            outcome.signatures_pushed += 1
        else:
            outcome.signatures_present += 1

    async def attest_image(
        self, image: ImageReference, statement: Mapping[str, Any], outcome: SigningOutcome
    ) -> None:
        async def make() -> tuple[Any, dict[str, str]]:
            blob, ann = attestation_layer(self.key.private, statement)
            if self.rekor is not None:
                body = intoto_body(blob.data, self.key.public_pem)
                bundle, url = await self.rekor.upload(_proposed(body, blob.data))
                ann[layout.BUNDLE_ANNOTATION] = bundle.to_json()
                outcome.transparency.append(url)
            return blob, ann

        def present(layers: Layers) -> bool:
            return _has_statement(layers, image, self.key, statement)

        if await self._ensure(image, layout.ATTESTATION_SUFFIX, present, make):
            outcome.attestations_pushed += 1
        else:
            outcome.attestations_present += 1

    def images(self, record: RunRecord) -> list[ImageReference]:
        """The images to sign: the run's type-hinted images (and its TaskRuns' with deep
        inspection)."""
        results = list(record.results)
        if record.kind == PIPELINE_RUN and self.config.deep_inspection:
            for tr in record.taskruns:
                results += (tr.get("status") or {}).get("results") or []
        return oci_images(results)

    async def sign(self, record: RunRecord) -> SigningOutcome:
        """Sign and attest everything `record` built; raises SigningFailure (or a
        KonfluxError) when any push could not be done."""
        outcome = SigningOutcome()
        storage = (
            self.config.pipelinerun_storage
            if record.kind == PIPELINE_RUN
            else self.config.taskrun_storage
        )
        try:
            statement = provenance.statement(record, self.config)
            targets = []
            for subject in statement["subject"]:
                digest = subject["digest"].get("sha256")
                try:
                    targets.append(parse_reference(f"{subject['name']}@sha256:{digest}"))
                except InvalidReferenceError:
                    continue  # not an image (an ARTIFACT_OUTPUTS URI): nowhere to attach
            images = self.images(record)
        except ValueError as exc:  # ProvenanceError, TooManyArtifacts, malformed records
            raise SigningFailure(f"building provenance: {exc}") from exc
        # Every push goes to its own tag, so they run concurrently; all must succeed.
        work = []
        if self.config.oci_storage and self.config.oci_signer:
            work += [self.sign_image(image, outcome) for image in images]
        if storage:
            work += [self.attest_image(image, statement, outcome) for image in targets]
        results = await asyncio.gather(*work, return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        return outcome
