"""Verifying an image's cosign signatures and attestations.

The core is pure: a layer description and its bytes in, a `CheckedSignature`
or `CheckedAttestation` out, each carrying a `VerificationSuccess` or a
`VerificationFailure(reason=...)` (the shape sigstore-python's results have).
`SignatureReport` / `AttestationReport` aggregate them as cosign does: the
check passes when at least one signature verifies; otherwise it fails with
every reason, or with "no signatures found".

The registry I/O is a thin async layer over any client with the
`RegistryClient` protocol (konflux.engine.oci's client has it): fetch
`sha256-<hex>.sig` / `.att`, fetch the layers, run the core.

Per signature, in cosign's order (`verifyInternal`): the Rekor bundle (SET
under the log key, entry matches signature, key and payload hash) unless
ignored; then the verifier: the public key, or the certificate after its chain
to the trusted root and its identity are checked at the signing time; then the
signature; then the claim (simple-signing digest or in-toto subject).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from konflux.engine import limits
from konflux.engine.digests import sha256_digest
from konflux.engine.errors import KonfluxError
from konflux.engine.limits import LimitExceeded
from konflux.engine.oci import ImageReference, NotFoundError

from . import cosign_layout as layout
from .dsse import INTOTO_PAYLOAD_TYPE, Envelope, parse_envelope, verify_envelope
from .errors import PayloadError, TrustedRootError
from .keyless import (
    Identity,
    KeylessPolicy,
    certificate_metadata,
    check_expiry,
    check_identity,
    load_trusted_root,
    parse_certificates,
    verify_chain,
)
from .keys import PublicKey, load_public_key
from .payloads import (
    UNKNOWN_PREDICATE,
    check_simple_signing,
    check_subject,
    parse_statement,
    predicate_problems,
)
from .rekor import check_body, parse_bundle, verify_set

# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class VerificationSuccess:
    """The check passed."""

    success: bool = field(default=True, init=False)

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True)
class VerificationFailure:
    """The check failed, or could not be completed; `reason` says which and why."""

    reason: str
    success: bool = field(default=False, init=False)

    def __bool__(self) -> bool:
        return False


VerificationResult = VerificationSuccess | VerificationFailure


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class CheckOptions:
    """What to trust. Exactly one of `public_key` and `keyless` must be set.

    - `rekor_keys`: Rekor log keys for bundle SETs (defaults to the keyless
      trusted root's `tlogs`). A bundle that cannot be checked fails the signature.
    - `ignore_rekor`: skip bundles entirely (`--ignore-rekor`); keyless
      certificates are then checked against `now` as cosign does.
    - `require_rekor`: with a public key, also fail signatures without a bundle.
    """

    public_key: PublicKey | None = None
    keyless: KeylessPolicy | None = None
    rekor_keys: tuple[PublicKey, ...] = ()
    ignore_rekor: bool = False
    require_rekor: bool = False
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        if (self.public_key is None) == (self.keyless is None):
            raise TrustedRootError(
                "verification needs exactly one of a public key or a keyless trusted root"
            )
        if self.keyless is not None:
            ok = any(
                (i.subject or i.subject_regexp) and (i.issuer or i.issuer_regexp)
                for i in self.keyless.identities
            )
            if not ok:
                # An empty identity policy would accept any certificate of the CA: refuse.
                raise TrustedRootError(
                    "keyless verification requires --certificate-identity[-regexp] and "
                    "--certificate-oidc-issuer[-regexp]"
                )

    @property
    def log_keys(self) -> tuple[PublicKey, ...]:
        if self.rekor_keys:
            return self.rekor_keys
        if self.keyless is not None:
            return tuple(self.keyless.trusted_root.rekor_keys)
        return ()


def check_options(
    *,
    public_key: str | bytes | None = None,
    certificate_identity: str | None = None,
    certificate_identity_regexp: str | None = None,
    certificate_oidc_issuer: str | None = None,
    certificate_oidc_issuer_regexp: str | None = None,
    trusted_root: str | None = None,
    rekor_public_key: str | bytes | None = None,
    ignore_rekor: bool = False,
) -> CheckOptions:
    """`CheckOptions` from flag values as `ec validate image` / `ec.sigstore.*` take them.

    `public_key` is a PEM file path or inline PEM; without it the keyless flags apply.
    Rekor keys come from `rekor_public_key` (file or PEM), else from the trusted root
    (`trusted_root` file, else the public-good root shipped in engine/sigstore/roots) — but only
    when a bundle has to be checked, so key-based verification without bundles needs no
    root at all.
    """
    rekor_keys: tuple[PublicKey, ...] = ()
    if rekor_public_key:
        rekor_keys = (load_public_key(rekor_public_key),)
    if public_key:
        if not rekor_keys and not ignore_rekor:
            try:
                rekor_keys = tuple(load_trusted_root(trusted_root).rekor_keys)
            except TrustedRootError:
                if trusted_root:  # asked for and unusable: say so
                    raise
                rekor_keys = ()  # a bundle found later then fails with "no trusted rekor keys"
        return CheckOptions(
            public_key=load_public_key(public_key), rekor_keys=rekor_keys, ignore_rekor=ignore_rekor
        )
    identity = Identity(
        subject=certificate_identity or None,
        subject_regexp=certificate_identity_regexp or None,
        issuer=certificate_oidc_issuer or None,
        issuer_regexp=certificate_oidc_issuer_regexp or None,
    )
    return CheckOptions(
        keyless=KeylessPolicy(load_trusted_root(trusted_root), (identity,)),
        rekor_keys=rekor_keys,
        ignore_rekor=ignore_rekor,
    )


# --------------------------------------------------------------------------- per layer


@dataclass(frozen=True)
class CheckedSignature:
    """One `.sig` layer and what verifying it found."""

    layer_digest: str
    result: VerificationResult
    payload: bytes = b""
    sig: str = ""
    keyid: str = ""
    certificate: str | None = None
    chain: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    bundle_verified: bool = False
    signing_time: int | None = None

    def entity(self) -> dict[str, Any]:
        """ec's `EntitySignature` JSON: {keyid, sig, certificate?, chain?, metadata?}."""
        out: dict[str, Any] = {"keyid": self.keyid, "sig": self.sig}
        if self.certificate:
            out["certificate"] = self.certificate
        if self.chain:
            out["chain"] = list(self.chain)
        if self.metadata:
            out["metadata"] = dict(self.metadata)
        return out


@dataclass(frozen=True)
class CheckedAttestation:
    """One `.att` layer: the envelope, its statement, and what verifying it found."""

    layer_digest: str
    result: VerificationResult
    envelope: Envelope | None = None
    statement: dict[str, Any] | None = None
    signatures: tuple[dict[str, Any], ...] = ()
    syntax_problems: tuple[str, ...] = ()
    bundle_verified: bool = False
    signing_time: int | None = None

    @property
    def predicate_type(self) -> str | None:
        return self.statement.get("predicateType") if self.statement else None

    def input(self) -> dict[str, Any]:
        """The policy input entry: `{statement, signatures}`."""
        return {"statement": self.statement, "signatures": list(self.signatures)}


@dataclass(frozen=True)
class _Verifier:
    key: PublicKey
    key_pem: bytes  # what a Rekor entry must name: certificate PEM or public key PEM
    certificate: x509.Certificate | None
    chain: list[x509.Certificate]


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _establish(
    layer: layout.CosignLayer,
    content: bytes,
    opts: CheckOptions,
    signature_b64: str,
) -> tuple[_Verifier | None, int | None, bool, str | None]:
    """(verifier, signing time, bundle verified, failure reason) for one layer."""
    certs: list[x509.Certificate] = []
    chain_certs: list[x509.Certificate] = []
    try:
        if layer.certificate_pem:
            certs = parse_certificates(layer.certificate_pem, where="certificate annotation")
        if layer.chain_pem:
            chain_certs = parse_certificates(layer.chain_pem, where="chain annotation")
    except TrustedRootError as exc:
        return None, None, False, str(exc)
    cert = certs[0] if certs else None

    if opts.public_key is not None:
        key_pem = opts.public_key.pem
        if cert is not None:
            if (
                cert.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                != opts.public_key.der
            ):
                return (
                    None,
                    None,
                    False,
                    ("both public key and certificate were provided but did not match"),
                )
            key_pem = _pem(cert).encode()
        verifier = _Verifier(opts.public_key, key_pem, cert, chain_certs)
    else:
        if cert is None:
            return None, None, False, "no certificate found on signature"
        verifier = _Verifier(
            PublicKey(cert.public_key(), "certificate"),  # type: ignore[arg-type]
            _pem(cert).encode(),
            cert,
            chain_certs,
        )

    # 1. the transparency log bundle (offline): proves the signing time
    signing_time: int | None = None
    bundle_verified = False
    if not opts.ignore_rekor:
        if layer.bundle_json:
            try:
                bundle = parse_bundle(layer.bundle_json)
            except ValueError as exc:
                return None, None, False, f"error verifying bundle: {exc}"
            reason = check_body(
                bundle, payload=content, signature_b64=signature_b64, key_pem=verifier.key_pem
            )
            if reason is None:
                reason = verify_set(bundle, opts.log_keys)
            if reason is not None:
                return None, None, False, f"error verifying bundle: {reason}"
            signing_time, bundle_verified = bundle.integrated_time, True
        elif opts.keyless is not None or opts.require_rekor:
            return (
                None,
                None,
                False,
                (
                    "no Rekor bundle on the signature: the transparency log entry cannot be "
                    "checked offline (use --ignore-rekor to skip it)"
                ),
            )

    # 2. the certificate: valid at the signing time, chained to the root, right identity
    if opts.keyless is not None and cert is not None:
        at = datetime.fromtimestamp(signing_time, UTC) if signing_time is not None else opts.now()
        reason = check_expiry(cert, [], at)
        if reason is not None:
            if signing_time is None:
                reason = f"{reason} (no signed timestamp: checked against the current time)"
            return None, signing_time, bundle_verified, reason
        chain, reason = verify_chain(cert, opts.keyless.trusted_root, at, untrusted=chain_certs)
        if reason is not None:
            return None, signing_time, bundle_verified, reason
        reason = check_identity(cert, opts.keyless.identities)
        if reason is not None:
            return None, signing_time, bundle_verified, reason
        verifier = _Verifier(verifier.key, verifier.key_pem, cert, chain)
    return verifier, signing_time, bundle_verified, None


def _content_problem(layer: layout.CosignLayer, content: bytes) -> str | None:
    actual = sha256_digest(content)
    if layer.digest != actual:
        return (
            f"layer {layer.digest} content does not match its digest (got {actual}, "
            f"{len(content)} bytes): truncated or corrupted blob"
        )
    return None


def _cert_fields(
    v: _Verifier | None, layer: layout.CosignLayer
) -> tuple[str, str | None, tuple[str, ...], dict[str, str]]:
    cert = v.certificate if v else None
    if cert is None and layer.certificate_pem:
        try:
            certs = parse_certificates(layer.certificate_pem, where="certificate annotation")
            cert = certs[0] if certs else None
        except TrustedRootError:
            cert = None
    if cert is None:
        return "", None, (), {}
    try:
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        keyid = ski.hex()
    except x509.ExtensionNotFound:
        keyid = ""
    chain: tuple[str, ...] = ()
    if layer.chain_pem:
        try:
            chain = tuple(_pem(c) for c in parse_certificates(layer.chain_pem, where="chain"))
        except TrustedRootError:
            chain = ()
    return keyid, _pem(cert), chain, certificate_metadata(cert)


def verify_signature_layer(
    layer: layout.CosignLayer, content: bytes, image_digest: str, opts: CheckOptions
) -> CheckedSignature:
    """Verify one simple-signing layer of a `.sig` image against `image_digest`."""
    sig_b64 = layer.signature_b64

    def fail(reason: str, v: _Verifier | None = None, **kw: Any) -> CheckedSignature:
        keyid, cert, chain, meta = _cert_fields(v, layer)
        return CheckedSignature(
            layer.digest,
            VerificationFailure(reason),
            content,
            sig_b64,
            keyid,
            cert,
            chain,
            meta,
            **kw,
        )

    problem = _content_problem(layer, content)
    if problem:
        return fail(problem)
    if not sig_b64:
        return fail(f"layer {layer.digest} has no {layout.SIGNATURE_ANNOTATION} annotation")
    try:
        raw_sig = base64.b64decode(sig_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        return fail(f"signature annotation is not valid base64: {exc}")
    verifier, t, bundled, reason = _establish(layer, content, opts, sig_b64)
    if verifier is None:
        return fail(
            reason or "verification could not complete", bundle_verified=bundled, signing_time=t
        )
    if not verifier.key.verify(raw_sig, content):
        return fail(
            "invalid signature when validating ASN.1 encoded signature"
            if verifier.key.algorithm.startswith("ecdsa")
            else "invalid signature",
            verifier,
            bundle_verified=bundled,
            signing_time=t,
        )
    reason = check_simple_signing(content, image_digest)
    if reason:
        return fail(reason, verifier, bundle_verified=bundled, signing_time=t)
    keyid, cert, chain, meta = _cert_fields(verifier, layer)
    return CheckedSignature(
        layer.digest, VerificationSuccess(), content, sig_b64, keyid, cert, chain, meta, bundled, t
    )


def verify_attestation_layer(
    layer: layout.CosignLayer, content: bytes, image_digest: str, opts: CheckOptions
) -> CheckedAttestation:
    """Verify one DSSE layer of an `.att` image against `image_digest`."""

    def fail(reason: str, **kw: Any) -> CheckedAttestation:
        return CheckedAttestation(layer.digest, VerificationFailure(reason), **kw)

    problem = _content_problem(layer, content)
    if problem:
        return fail(problem)
    if layer.media_type != layout.DSSE_MEDIA_TYPE:
        return fail(
            f"malformed attestation data: expecting media type of "
            f"`{layout.DSSE_MEDIA_TYPE}`, received: `{layer.media_type}`"
        )
    try:
        envelope = parse_envelope(content, where=f"attestation layer {layer.digest}")
    except PayloadError as exc:
        return fail(str(exc))
    if envelope.payload_type != INTOTO_PAYLOAD_TYPE:
        return fail(
            f"invalid payloadType {envelope.payload_type} on envelope. "
            f"Expected {INTOTO_PAYLOAD_TYPE}",
            envelope=envelope,
        )
    verifier, t, bundled, reason = _establish(layer, content, opts, layer.signature_b64)
    keyid, cert, chain, meta = _cert_fields(verifier, layer)
    entities = tuple(
        {
            k: v
            for k, v in {
                "keyid": keyid or s.keyid,
                "sig": layer.signature_b64 or s.sig,
                "certificate": cert,
                "chain": list(chain) or None,
                "metadata": meta or None,
            }.items()
            if v is not None
        }
        for s in envelope.signatures
    )
    common = {
        "envelope": envelope,
        "signatures": entities,
        "bundle_verified": bundled,
        "signing_time": t,
    }
    if verifier is None:
        return fail(reason or "verification could not complete", **common)
    reason = verify_envelope(envelope, verifier.key)
    if reason:
        return fail(reason, **common)
    try:
        statement = parse_statement(envelope.payload)
    except PayloadError as exc:
        return fail(str(exc), **common)
    reason = check_subject(statement, image_digest)
    if reason:
        return fail(reason, statement=statement, **common)
    return CheckedAttestation(
        layer.digest,
        VerificationSuccess(),
        envelope,
        statement,
        entities,
        tuple(predicate_problems(statement)),
        bundled,
        t,
    )


def read_attestation_layer(layer: layout.CosignLayer, content: bytes) -> CheckedAttestation:
    """One DSSE layer parsed but NOT verified (`--skip-att-sig-check`): its statement and
    signatures as found, accepted as they are. Only for debugging a policy: nothing in it
    is trusted."""

    def fail(reason: str) -> CheckedAttestation:
        return CheckedAttestation(layer.digest, VerificationFailure(reason))

    problem = _content_problem(layer, content)
    if problem:
        return fail(problem)
    try:
        envelope = parse_envelope(content, where=f"attestation layer {layer.digest}")
        statement = parse_statement(envelope.payload)
    except PayloadError as exc:
        return fail(f"unable to parse untyped provenance: {exc}")
    entities = tuple(
        {"keyid": s.keyid, "sig": layer.signature_b64 or s.sig} for s in envelope.signatures
    )
    return CheckedAttestation(
        layer.digest,
        VerificationSuccess(),
        envelope,
        statement,
        entities,
        tuple(predicate_problems(statement)),
    )


# --------------------------------------------------------------------------- aggregates

CheckedT = TypeVar("CheckedT", CheckedSignature, CheckedAttestation)


@dataclass(frozen=True)
class _LayerReport(Generic[CheckedT]):
    """All layers of one kind (`.sig` or `.att`) of one image; passes when one verifies."""

    image_digest: str
    checked: tuple[CheckedT, ...] = ()
    error: str | None = None  # the layers could not be fetched

    @property
    def verified(self) -> list[CheckedT]:
        return [c for c in self.checked if c.result]

    def _failure_reasons(self) -> list[str]:
        return [c.result.reason for c in self.checked if isinstance(c.result, VerificationFailure)]

    def _no_match(self) -> str:
        raise NotImplementedError

    @property
    def result(self) -> VerificationResult:
        if self.error:
            return VerificationFailure(self.error)
        if self.verified:
            return VerificationSuccess()
        return VerificationFailure(self._no_match())


@dataclass(frozen=True)
class SignatureReport(_LayerReport[CheckedSignature]):
    """All `.sig` layers of one image; passes when one verifies (cosign semantics)."""

    def _no_match(self) -> str:
        if not self.checked:
            return "no signatures found"
        return "no matching signatures: " + "\n ".join(self._failure_reasons())

    def entities(self) -> list[dict[str, Any]]:
        """`image.signatures` of the policy input: the verified signatures."""
        return [c.entity() for c in self.verified]

    def builtin_result(self) -> dict[str, Any]:
        """The value of `ec.sigstore.verify_image`: {success, errors, signatures}, each
        signature as ec's builtin shapes it (`signature`, not the report's `sig`)."""
        result = self.result
        errors = [] if result else [f"verify image signature: {result.reason}"]
        return {
            "success": bool(result),
            "errors": errors,
            "signatures": [builtin_signature(e) for e in self.entities()],
        }


@dataclass(frozen=True)
class AttestationReport(_LayerReport[CheckedAttestation]):
    """All `.att` layers of one image; passes when one verifies (cosign semantics)."""

    def _no_match(self) -> str:
        reasons = "\n ".join(self._failure_reasons()) or "no attestations found"
        return "no matching attestations: " + reasons

    @property
    def syntax_result(self) -> VerificationResult:
        """`builtin.attestation.syntax_check`: every verified statement well-formed for its
        predicate type; an unknown predicate type is flagged."""
        return self.syntax_check()

    def syntax_check(self, *, accept_unknown_types: bool = False) -> VerificationResult:
        """The syntax check; `accept_unknown_types` lets statements of predicate types this
        layer does not model pass (as `ec` does), known ones are still checked."""
        if not self.verified:
            return VerificationFailure("no attestation data")
        problems = [
            p
            for c in self.verified
            for p in c.syntax_problems
            if not (accept_unknown_types and p.startswith(UNKNOWN_PREDICATE))
        ]
        if problems:
            return VerificationFailure("; ".join(problems))
        return VerificationSuccess()

    def inputs(self) -> list[dict[str, Any]]:
        """`attestations` of the policy input: `[{statement, signatures}]` of verified ones."""
        return [c.input() for c in self.verified]

    def builtin_result(self) -> dict[str, Any]:
        """The value of `ec.sigstore.verify_attestation`: {success, errors, attestations}."""
        result = self.result
        errors = [] if result else [f"verify image attestation signature: {result.reason}"]
        return {
            "success": bool(result),
            "errors": errors,
            "attestations": [
                {
                    "statement": a["statement"],
                    "signatures": [builtin_signature(s) for s in a["signatures"]],
                }
                for a in self.inputs()
            ],
        }


def builtin_signature(entity: dict[str, Any]) -> dict[str, Any]:
    """An ec `EntitySignature` as the `ec.sigstore.*` builtins return it (`sig` → `signature`)."""
    # ec's toSignatureTerm: every field present, empty when unknown.
    return {
        "keyid": entity.get("keyid") or "",
        "signature": entity.get("sig") or "",
        "certificate": entity.get("certificate") or "",
        "chain": list(entity.get("chain") or []),
        "metadata": {str(k): str(v) for k, v in (entity.get("metadata") or {}).items()},
    }


def verify_signature_layers(
    layers: Sequence[tuple[layout.CosignLayer, bytes]], image_digest: str, opts: CheckOptions
) -> SignatureReport:
    return SignatureReport(
        image_digest,
        tuple(verify_signature_layer(lay, data, image_digest, opts) for lay, data in layers),
    )


def verify_attestation_layers(
    layers: Sequence[tuple[layout.CosignLayer, bytes]], image_digest: str, opts: CheckOptions
) -> AttestationReport:
    return AttestationReport(
        image_digest,
        tuple(verify_attestation_layer(lay, data, image_digest, opts) for lay, data in layers),
    )


# --------------------------------------------------------------------------- registry I/O


class RegistryClient(Protocol):
    """What this layer needs from a registry client; `konflux.engine.oci.RegistryClient`
    has it. A missing tag raises `konflux.engine.oci.NotFoundError`."""

    async def get_manifest(self, ref: ImageReference) -> Any: ...
    async def get_blob(
        self, ref: ImageReference, digest: str | None = None, *, size: int | None = None
    ) -> bytes: ...
    async def push_blob(
        self, ref: ImageReference, data: bytes, *, media_type: str = ...
    ) -> Any: ...
    async def put_manifest(self, ref: ImageReference, raw: bytes, media_type: str) -> Any: ...
    async def referrers(
        self, ref: ImageReference, *, artifact_type: str | None = None
    ) -> list[Any]: ...


def manifest_bytes(fetched: Any) -> bytes:
    """The raw bytes of whatever a client's `get_manifest` returned (`Manifest.raw`)."""
    if isinstance(fetched, (bytes, bytearray)):
        return bytes(fetched)
    raw = getattr(fetched, "raw", None)
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw)
    raise TypeError(f"cannot read manifest bytes from {type(fetched).__name__}")


def _digest_of(image: ImageReference) -> str:
    if not image.digest:
        raise PayloadError(f"{image}: resolve the image to a digest before verifying it")
    return image.digest


async def fetch_artifact_layers(
    client: RegistryClient, image: ImageReference, suffix: str
) -> list[tuple[layout.CosignLayer, bytes]] | None:
    """The layers (and bytes) of `<repo>:sha256-<hex>.<suffix>` for `image` (which carries
    its digest); None when that tag does not exist. Other registry errors propagate."""
    ref = image.with_tag(layout.triangulation_tag(_digest_of(image), suffix))
    try:
        fetched = await client.get_manifest(ref)
    except NotFoundError:
        return None
    layers = layout.layers_of(manifest_bytes(fetched), where=str(ref))
    return list(zip(layers, await _layer_blobs(client, ref, layers), strict=True))


async def fetch_referrer_layers(
    client: RegistryClient, image: ImageReference, artifact_type: str
) -> list[tuple[layout.CosignLayer, bytes]]:
    """Layers of the manifests referring to `image` with `artifact_type` (OCI 1.1
    referrers, as cosign's `--registry-referrers-mode=oci-1-1` writes signatures)."""
    subject = image.by_digest(_digest_of(image))
    found: list[tuple[layout.CosignLayer, bytes]] = []
    for descriptor in await client.referrers(subject, artifact_type=artifact_type):
        ref = image.by_digest(descriptor.digest)
        layers = layout.layers_of(manifest_bytes(await client.get_manifest(ref)), where=str(ref))
        found += zip(layers, await _layer_blobs(client, ref, layers), strict=True)
    return found


async def _layer_blobs(
    client: RegistryClient, ref: ImageReference, layers: Sequence[layout.CosignLayer]
) -> list[bytes]:
    """The layers' contents, each read no further than its declared size, together within
    the `blob-bytes` limit (a manifest may list up to a thousand layers)."""
    most = limits.current().blob_bytes
    if sum(lay.size for lay in layers) > most:
        raise LimitExceeded.of(f"{ref}: the artifact's layers together", "blob_bytes", most)
    blobs = await asyncio.gather(
        *(client.get_blob(ref, lay.digest, size=lay.size) for lay in layers)
    )
    return [bytes(b) for b in blobs]


async def verify_image_signatures(
    client: RegistryClient,
    image: ImageReference,
    opts: CheckOptions,
    *,
    referrers: bool = False,
) -> SignatureReport:
    """Fetch and verify the `.sig` artifact of `image` (a digest reference), and with
    `referrers` also signatures attached as OCI 1.1 referrers. Never raises for registry
    or payload trouble: that is a failed report saying why."""
    digest = _digest_of(image)
    try:
        layers = await fetch_artifact_layers(client, image, layout.SIGNATURE_SUFFIX) or []
        if referrers:
            layers += await fetch_referrer_layers(client, image, layout.SIGNATURE_ARTIFACT_TYPE)
    except (TimeoutError, KonfluxError, OSError) as exc:
        return SignatureReport(digest, error=f"fetching signatures of {image}: {exc}")
    return verify_signature_layers(layers, digest, opts)


async def verify_attestations(
    client: RegistryClient, image: ImageReference, opts: CheckOptions
) -> AttestationReport:
    """Fetch and verify the `.att` artifact of `image` (same contract as signatures)."""
    digest = _digest_of(image)
    try:
        layers = await fetch_artifact_layers(client, image, layout.ATTESTATION_SUFFIX)
    except (TimeoutError, KonfluxError, OSError) as exc:
        return AttestationReport(digest, error=f"fetching attestations of {image}: {exc}")
    if layers is None:
        return AttestationReport(digest)
    return verify_attestation_layers(layers, digest, opts)


async def read_attestations(client: RegistryClient, image: ImageReference) -> AttestationReport:
    """The `.att` artifact of `image` parsed without verifying signatures; a layer that does
    not parse fails the report, as `ec`'s `FetchAttestationsWithoutVerification` does."""
    digest = _digest_of(image)
    try:
        layers = await fetch_artifact_layers(client, image, layout.ATTESTATION_SUFFIX)
    except (TimeoutError, KonfluxError, OSError) as exc:
        return AttestationReport(digest, error=f"fetching attestations of {image}: {exc}")
    checked = tuple(read_attestation_layer(lay, data) for lay, data in layers or [])
    failed = next((c for c in checked if not c.result), None)
    if failed is not None:
        return AttestationReport(digest, error=str(failed.result.reason))
    return AttestationReport(digest, checked)


async def fetch_sbom(client: RegistryClient, image: ImageReference) -> tuple[str, bytes] | None:
    """(media type, document) attached at `sha256-<hex>.sbom`, or None when there is none."""
    layers = await fetch_artifact_layers(client, image, layout.SBOM_SUFFIX)
    if not layers:
        return None
    lay, data = layers[0]
    problem = _content_problem(lay, data)
    if problem:
        raise PayloadError(f"SBOM of {image}: {problem}")
    return lay.media_type, data
