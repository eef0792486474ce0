"""The signer's configuration: Tekton Chains' `chains-config` ConfigMap keys, read once.

Keys and defaults follow Chains' docs/config.md, restricted to what this signer does:
OCI storage only (signatures at `.sig`, attestations at `.att`), one key. A key we do not
know, or a value we do not support, is an error naming it: a typo must not silently
fall back to a default that signs something else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from konflux.controllers.errors import ConfigurationError

if TYPE_CHECKING:
    from konflux.engine.oci import RetryPolicy

CONFIG_MAP_NAME = "chains-config"
SIGNING_SECRET_NAME = "signing-secrets"  # cosign.key, cosign.password, cosign.pub
PUBLIC_KEY_SECRET_NAME = "public-key"  # cosign.pub only, readable by every user
DEFAULT_NAMESPACE = "konflux-chains"

FORMAT_SLSA_V02 = "slsa/v1"  # Chains' name for its SLSA v0.2 format (alias `in-toto`)
FORMAT_SLSA_V1_ALPHA3 = "slsa/v2alpha3"  # SLSA v1.0
FORMAT_SLSA_V1_ALPHA4 = "slsa/v2alpha4"  # SLSA v1.0, also reading StepAction results
FORMATS = {
    "in-toto": FORMAT_SLSA_V02,
    FORMAT_SLSA_V02: FORMAT_SLSA_V02,
    FORMAT_SLSA_V1_ALPHA3: FORMAT_SLSA_V1_ALPHA3,
    FORMAT_SLSA_V1_ALPHA4: FORMAT_SLSA_V1_ALPHA4,
}
BUILD_TYPE_SLSA = "https://tekton.dev/chains/v2/slsa"
BUILD_TYPE_SLSA_TEKTON = "https://tekton.dev/chains/v2/slsa-tekton"
BUILD_TYPES = (BUILD_TYPE_SLSA, BUILD_TYPE_SLSA_TEKTON)
DEFAULT_BUILDER_ID = "https://tekton.dev/chains/v2"
DEFAULT_REKOR_URL = "https://rekor.sigstore.dev"
MAX_RETRIES = 3  # Chains' annotations.MaxRetries

_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class ChainsOptions:
    """Where the signer lives and how it retries (the rest is `chains-config`)."""

    namespace: str = DEFAULT_NAMESPACE
    backoff: float = 2.0  # seconds before the first retry; doubles each time
    insecure_registries: tuple[str, ...] = ()
    registry_retry: RetryPolicy | None = None


@dataclass(frozen=True)
class ChainsConfig:
    """What the signer does with a finished run (defaults: Chains' own, see module doc)."""

    pipelinerun_format: str = FORMAT_SLSA_V02
    pipelinerun_storage: bool = True
    taskrun_format: str = FORMAT_SLSA_V02
    taskrun_storage: bool = True
    oci_storage: bool = True  # sign the type-hinted images (`.sig`)
    oci_signer: bool = True  # `artifacts.oci.signer: none` turns image signing off too
    deep_inspection: bool = False  # also read the child TaskRuns' results for artifacts
    builder_id: str = DEFAULT_BUILDER_ID
    # Chains defaults to `slsa`, whose pipelineTask dependencies carry only a URI and a
    # digest; with `slsa-tekton` they carry the TaskRun, which is what a policy needs to
    # check each task (trusted_task, tasks, test...). So ours defaults to slsa-tekton.
    build_type: str = BUILD_TYPE_SLSA_TEKTON
    transparency: bool = False  # Rekor upload: off by default (see docs/chains.md)
    transparency_url: str = DEFAULT_REKOR_URL
    max_retries: int = MAX_RETRIES

    @classmethod
    def from_configmap(cls, data: Mapping[str, str] | None) -> ChainsConfig:
        """Read `chains-config`'s `data`; unknown keys and values are errors."""
        values: dict[str, object] = {}
        for key, raw in (data or {}).items():
            if key not in _READERS:
                known = ", ".join(sorted(_READERS))
                raise ConfigurationError(
                    f"{CONFIG_MAP_NAME}: unknown key {key!r}; supported: {known}"
                )
            field, read = _READERS[key]
            value = read(key, str(raw).strip())
            if field:
                values[field] = value
        return cls(**values)  # type: ignore[arg-type]


def _format(key: str, value: str) -> str:
    if value not in FORMATS:
        raise ConfigurationError(
            f"{CONFIG_MAP_NAME}: {key}={value!r}; supported: {', '.join(FORMATS)}"
        )
    return FORMATS[value]


def _storage(key: str, value: str) -> bool:
    # Chains takes a comma-separated backend list; this signer has the `oci` backend only.
    backends = {b.strip() for b in value.split(",") if b.strip()}
    if backends - {"oci"}:
        raise ConfigurationError(
            f"{CONFIG_MAP_NAME}: {key}={value!r}; this signer stores in `oci` only "
            '(or "" to disable)'
        )
    return bool(backends)


def _signer(key: str, value: str) -> bool:
    if value not in ("x509", "none"):
        raise ConfigurationError(f"{CONFIG_MAP_NAME}: {key}={value!r}; supported: x509, none")
    return value == "x509"


def _x509_only(key: str, value: str) -> None:
    # Provenance is always signed here: an unsigned `.att` layer is worth nothing.
    if value != "x509":
        raise ConfigurationError(f"{CONFIG_MAP_NAME}: {key}={value!r}; supported: x509")


def _boolean(key: str, value: str) -> bool:
    if value.lower() not in _BOOLEANS:
        raise ConfigurationError(f"{CONFIG_MAP_NAME}: {key}={value!r}; expected true or false")
    return _BOOLEANS[value.lower()]


def _build_type(key: str, value: str) -> str:
    if value not in BUILD_TYPES:
        raise ConfigurationError(
            f"{CONFIG_MAP_NAME}: {key}={value!r}; supported: {', '.join(BUILD_TYPES)}"
        )
    return value


def _url(key: str, value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ConfigurationError(f"{CONFIG_MAP_NAME}: {key}={value!r} is not an http(s) URL")
    return value.rstrip("/")


def _text(key: str, value: str) -> str:
    if not value:
        raise ConfigurationError(f"{CONFIG_MAP_NAME}: {key} is empty")
    return value


def _retries(key: str, value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 20:
        raise ConfigurationError(f"{CONFIG_MAP_NAME}: {key}={value!r}; expected 0..20")
    return int(value)


_READERS: dict[str, tuple[str, Callable[[str, str], object]]] = {
    "artifacts.pipelinerun.format": ("pipelinerun_format", _format),
    "artifacts.pipelinerun.storage": ("pipelinerun_storage", _storage),
    "artifacts.pipelinerun.enable-deep-inspection": ("deep_inspection", _boolean),
    "artifacts.pipelinerun.signer": ("", _x509_only),
    "artifacts.taskrun.format": ("taskrun_format", _format),
    "artifacts.taskrun.storage": ("taskrun_storage", _storage),
    "artifacts.taskrun.signer": ("", _x509_only),
    "artifacts.oci.storage": ("oci_storage", _storage),
    "artifacts.oci.signer": ("oci_signer", _signer),
    "builder.id": ("builder_id", _text),
    "builddefinition.buildtype": ("build_type", _build_type),
    "transparency.enabled": ("transparency", _boolean),
    "transparency.url": ("transparency_url", _url),
    "signing.max-retries": ("max_retries", _retries),
}
