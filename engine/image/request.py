"""One `validate image` run as a value: what to check, whom to trust, how long, what VSAs.

The CLI (`konflux validate image`, ec's flags) reads its flags into an
`ImageValidationRequest` and renders the report; everything between is here:
- `derive_trust`: the signature trust `ec` derives from flags and the policy (a
  public key, else a keyless identity; neither is an error before any image is
  fetched), and `sigstore_opts`, what the rules see of it;
- `ImageValidationRequest.run`: skip images with a reusable VSA, validate the rest
  on a worker under the run's deadline (on timeout the run is abandoned and closing
  the registry cancels its in-flight requests), then write, store or attach VSAs.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from konflux.engine.errors import KonfluxError
from konflux.engine.evaluation import Settings
from konflux.engine.image import vsa
from konflux.engine.image.snapshot import Snapshot
from konflux.engine.image.validator import ImageCheckSettings, SnapshotValidator
from konflux.engine.oci import RegistryClient, RetryPolicy, SyncRegistry
from konflux.engine.oci.in_flight import InFlight
from konflux.engine.policy.spec import Policy
from konflux.engine.progress import NO_PROGRESS, Progress
from konflux.engine.report import Report
from konflux.engine.sigstore import CheckOptions, PrivateKey, check_options

NO_TRUST = (
    "no public key and no keyless identity: give --public-key KEY, or "
    "--certificate-identity and --certificate-oidc-issuer (or set publicKey or identity "
    "in the policy)"
)


class TrustError(KonfluxError):
    """Neither a public key nor a complete keyless identity was given: nothing to verify with."""


class ValidationTimeout(KonfluxError):
    """The run did not finish within its deadline."""


@dataclass(frozen=True)
class TrustFlags:
    """What the caller says about trust; each unset field falls back to the policy's."""

    public_key: str | None = None  # a key reference (file, inline PEM, k8s://...)
    identity: str | None = None
    identity_regexp: str | None = None
    issuer: str | None = None
    issuer_regexp: str | None = None
    trusted_root: str | None = None
    rekor_public_key: str | None = None
    rekor_url: str | None = None
    ignore_rekor: bool = False

    @property
    def keyless(self) -> bool:
        return any((self.identity, self.identity_regexp, self.issuer, self.issuer_regexp))


@dataclass(frozen=True)
class Trust:
    """The checks' trust, the key PEM the report names ("" when keyless), keyless or not."""

    check: CheckOptions
    key_pem: str
    keyless: bool


def derive_trust(
    policy_spec: dict[str, Any], flags: TrustFlags, read_key: Callable[[str], str]
) -> Trust:
    """The trust `ec` derives from flags and the policy's `publicKey`/`identity`.

    `read_key` turns a key reference (the flag's or the policy's) into PEM text; the
    caller knows where references point (files, a cluster's Secrets). Like `ec`, a run
    with neither a key nor a keyless identity stops here, before any image is fetched.
    """
    key = flags.public_key or (None if flags.keyless else policy_spec.get("publicKey"))
    if key:
        pem = read_key(key)
        check = check_options(
            public_key=pem.encode(),
            trusted_root=flags.trusted_root,
            rekor_public_key=flags.rekor_public_key,
            ignore_rekor=flags.ignore_rekor,
        )
        return Trust(check, pem, False)
    ident = policy_spec.get("identity") or {}
    identity = flags.identity or ident.get("subject")
    identity_regexp = flags.identity_regexp or ident.get("subjectRegExp")
    issuer = flags.issuer or ident.get("issuer")
    issuer_regexp = flags.issuer_regexp or ident.get("issuerRegExp")
    if not any((identity, identity_regexp, issuer, issuer_regexp)):
        raise TrustError(NO_TRUST)
    if not (issuer or issuer_regexp):
        raise TrustError("certificate OIDC issuer must be provided for keyless workflow")
    if not (identity or identity_regexp):
        raise TrustError("certificate identity must be provided for keyless workflow")
    check = check_options(
        certificate_identity=identity,
        certificate_identity_regexp=identity_regexp,
        certificate_oidc_issuer=issuer,
        certificate_oidc_issuer_regexp=issuer_regexp,
        trusted_root=flags.trusted_root,
        rekor_public_key=flags.rekor_public_key,
        ignore_rekor=flags.ignore_rekor,
    )
    return Trust(check, "", True)


def sigstore_opts(flags: TrustFlags, trust: Trust) -> dict[str, Any]:
    """What the flags say about trust, for `data.config.default_sigstore_opts` (as `ec`)."""
    out: dict[str, Any] = {"ignore_rekor": bool(flags.ignore_rekor)}
    if trust.key_pem:
        out["public_key"] = trust.key_pem
    for name, value in (
        ("certificate_identity", flags.identity),
        ("certificate_identity_regexp", flags.identity_regexp),
        ("certificate_oidc_issuer", flags.issuer),
        ("certificate_oidc_issuer_regexp", flags.issuer_regexp),
        ("rekor_url", flags.rekor_url),
    ):
        if value:
            out[name] = value
    if trust.keyless:
        out["public_key"] = ""
    return out


@dataclass
class VsaRequest:
    """VSAs around the run: reuse stored ones, write new ones, store or attach them."""

    generate: bool = False  # --vsa: write one per image
    attestation_format: str = "dsse"  # dsse (signed envelope) | predicate (bare statement)
    output_dir: str | None = None
    upload: tuple[str, ...] = ()  # backend specs, as given
    signing_key: PrivateKey | None = None
    public_key_pem: str = ""  # verifies stored VSAs before reuse
    expiration: float = 0.0  # seconds a stored VSA stays reusable; 0 never reuses

    @property
    def stores(self) -> list[Any]:
        return vsa.backends(self.upload)


# Makes the progress display for a run, given the client's in-flight request counter.
ProgressFactory = Callable[[InFlight], AbstractContextManager[Progress]]


@dataclass
class ImageValidationRequest:
    """Everything one run needs; `run` returns the report (or raises `KonfluxError`)."""

    policy: Policy
    snapshot: Snapshot
    settings: Settings
    checks: ImageCheckSettings
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    insecure: tuple[str, ...] = ()
    timeout: float = 0.0  # seconds; 0 means no limit, as in ec
    timeout_text: str = ""  # how the caller names the limit in the error
    info: bool = False
    show_successes: bool = False
    show_warnings: bool = True
    snapshot_name: str = ""  # a cluster Snapshot's name, as ec reports it
    vsa: VsaRequest = field(default_factory=VsaRequest)

    def run(self, progress: ProgressFactory | None = None) -> Report:
        stores = self.vsa.stores
        client = RegistryClient(
            insecure=self.insecure, retry=self.retry, max_concurrency=4 * self.checks.workers
        )
        shown = progress(client.in_flight) if progress is not None else nullcontext(NO_PROGRESS)
        with SyncRegistry(client) as registry, shown as display:
            # ec --vsa-expiration: images whose stored VSA is still valid are not validated.
            skipped = vsa.reusable(
                self.snapshot,
                self.policy,
                stores=stores,
                public_key_pem=self.vsa.public_key_pem,
                expiration=self.vsa.expiration,
                registry=registry,
            )
            self.snapshot.components = [
                c for c in self.snapshot.components if c.name not in skipped
            ]
            report = self._validate(
                SnapshotValidator(self.policy, self.settings, registry, self.checks), display
            )
            report.targets += [vsa.skipped_target(n, image) for n, image in skipped.items()]
            report.snapshot = self.snapshot_name
            key = self.vsa.signing_key
            if self.vsa.generate:
                vsa.write_and_store(
                    report,
                    output_dir=self.vsa.output_dir,
                    attestation_format=self.vsa.attestation_format,
                    upload=self.vsa.upload,
                    stores=stores,
                    key=key,
                    registry=registry,
                )
            elif key is not None and any(b.kind == "oci" for b in stores):
                vsa.attach_all(registry, report, key)
        return report

    def _validate(self, validator: SnapshotValidator, display: Progress) -> Report:
        """The validation on a worker, so the deadline holds even while it blocks."""
        runner = concurrent.futures.ThreadPoolExecutor(1)
        future = runner.submit(
            validator.validate,
            self.snapshot,
            info=self.info,
            show_successes=self.show_successes,
            show_warnings=self.show_warnings,
            progress=display,
        )
        try:
            return future.result(timeout=self.timeout or None)
        except concurrent.futures.TimeoutError:
            limit = self.timeout_text or f"{self.timeout:g}s"
            raise ValidationTimeout(f"validation did not finish within {limit}") from None
        finally:
            runner.shutdown(wait=False, cancel_futures=True)
