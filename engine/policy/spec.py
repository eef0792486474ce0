"""EnterpriseContractPolicy: reading a policy (file, inline, git) and validating its spec.

The spec's JSON Schema (`ecp_spec.schema.json`) is written once; it is also
the openAPIV3Schema of the CRD in `deploy/crds/`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from konflux.engine.documents import parse_text, read_document
from konflux.engine.errors import PolicyLoadError, PolicySchemaError
from konflux.engine.schemas import validator as schema_validator


@dataclass(frozen=True)
class Criteria:
    """A volatileConfig entry: `value` applies between effectiveOn and effectiveUntil."""

    value: str
    effective_on: str | None = None
    effective_until: str | None = None
    image_ref: str | None = None
    image_url: str | None = None
    image_digest: str | None = None
    component_names: tuple[str, ...] = ()

    @classmethod
    def from_spec(cls, d: dict[str, Any]) -> Criteria:
        return cls(
            value=d["value"],
            effective_on=d.get("effectiveOn"),
            effective_until=d.get("effectiveUntil"),
            image_ref=d.get("imageRef"),
            image_url=d.get("imageUrl"),
            image_digest=d.get("imageDigest"),
            component_names=tuple(d.get("componentNames") or ()),
        )


@dataclass
class Source:
    name: str
    policy: list[str]
    data: list[str] = field(default_factory=list)
    rule_data: dict[str, Any] = field(default_factory=dict)
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    volatile_include: list[Criteria] = field(default_factory=list)
    volatile_exclude: list[Criteria] = field(default_factory=list)

    @classmethod
    def from_spec(cls, d: dict[str, Any], index: int) -> Source:
        config = d.get("config") or {}
        volatile = d.get("volatileConfig") or {}
        return cls(
            name=d.get("name") or f"source-{index}",
            policy=list(d.get("policy") or []),
            data=list(d.get("data") or []),
            rule_data=dict(d.get("ruleData") or {}),
            include=list(config.get("include") or []),
            exclude=list(config.get("exclude") or []),
            volatile_include=[Criteria.from_spec(c) for c in volatile.get("include") or []],
            volatile_exclude=[Criteria.from_spec(c) for c in volatile.get("exclude") or []],
        )


@dataclass
class Policy:
    """A validated EnterpriseContractPolicy spec."""

    spec: dict[str, Any]
    origin: str
    sources: list[Source]

    @property
    def public_key(self) -> str | None:
        return self.spec.get("publicKey")

    @property
    def rekor_url(self) -> str | None:
        return self.spec.get("rekorUrl")

    @property
    def identity(self) -> dict[str, Any]:
        return self.spec.get("identity") or {}


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    text = resources.files("konflux.engine.policy").joinpath("ecp_spec.schema.json").read_text()
    return json.loads(text)


def validate_spec(spec: Any, origin: str, *, patterns: bool = True) -> None:
    """Raise `PolicySchemaError` listing every schema violation with its JSON path
    (`patterns=False`: string patterns not checked)."""
    if not isinstance(spec, dict):
        raise PolicySchemaError(f"{origin}: a policy must be a mapping, got {type(spec).__name__}")
    validator = schema_validator(schema())
    errors = sorted(
        (e for e in validator.iter_errors(spec) if patterns or e.validator != "pattern"),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        lines = [
            f"  spec.{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors
        ]
        raise PolicySchemaError(
            f"{origin}: invalid EnterpriseContractPolicy spec:\n" + "\n".join(lines)
        )


_RESOURCE_KEYS = frozenset({"apiVersion", "kind", "metadata", "spec"})


def _spec_of(doc: Any, origin: str) -> Any:
    if not isinstance(doc, dict):
        return doc
    resource = "apiVersion" in doc or "kind" in doc
    resource = resource or ("spec" in doc and set(doc) <= _RESOURCE_KEYS)
    if not resource:
        return doc
    kind = doc.get("kind")
    if kind != "EnterpriseContractPolicy" and (kind is not None or "apiVersion" in doc):
        raise PolicySchemaError(f"{origin}: expected kind EnterpriseContractPolicy, got {kind!r}")
    if not doc.get("spec"):
        raise PolicySchemaError(
            f"{origin}: `spec` is empty or missing; an EnterpriseContractPolicy spec needs "
            "`sources`, a list of sources each with a `policy` list "
            "(for example `spec: {sources: [{policy: [path/to/rego]}]}`)"
        )
    return doc["spec"]


def policy_from_document(doc: Any, origin: str, *, check_schema: bool = True) -> Policy:
    """`check_schema=False` for a resource read from a cluster: its API server checked it
    on admission and `ec` takes it as it is, so the string patterns are not checked again
    (the structure still is: a malformed spec is an error, never a crash)."""
    spec = _spec_of(doc, origin)
    validate_spec(spec, origin, patterns=check_schema)
    sources = [Source.from_spec(s, i) for i, s in enumerate(spec.get("sources") or [])]
    if not sources and spec.get("configuration") is None:
        raise PolicySchemaError(
            f"{origin}: the policy has no sources; missing field: sources "
            "(a list of sources each with a `policy` list)"
        )
    return Policy(spec=spec, origin=origin, sources=sources)


POLICY_FILE_NAMES = ("policy.yaml", "policy.yml", "policy.json", ".ec/policy.yaml")


def load_policy(ref: str, workdir: Path | None = None) -> Policy:
    """Load a policy given as a file path, inline JSON/YAML, or a git URL of a directory."""
    from konflux.engine.policy.sources import is_remote

    ref = ref.strip()
    if not ref:
        raise PolicyLoadError("empty policy reference")
    path = Path(ref)
    if "\n" not in ref and not ref.startswith("{") and path.exists():
        if path.is_dir():
            return _policy_in_dir(path, ref)
        return policy_from_document(read_document(path, PolicyLoadError), str(path))
    if ref.startswith(("{", "[")) or "\n" in ref or ": " in ref:
        return policy_from_document(
            parse_text(ref, "inline policy", PolicyLoadError), "inline policy"
        )
    if is_remote(ref):
        from konflux.engine.policy.sources import fetch_pinned

        fetched = fetch_pinned(ref, workdir)
        if fetched.path.is_dir() and not any(
            (fetched.path / n).is_file() for n in POLICY_FILE_NAMES
        ):
            # ec's words, naming the source as fetched
            raise PolicyLoadError(f"no suitable config file found at {fetched.pinned}")
        return _policy_in_dir(fetched.path, ref)
    raise PolicyLoadError(
        f"{ref}: no such file, and not inline JSON/YAML or a git URL (git::URL//DIR?ref=REV)"
    )


def _policy_in_dir(directory: Path, origin: str) -> Policy:
    for name in POLICY_FILE_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return policy_from_document(
                read_document(candidate, PolicyLoadError), f"{origin} ({name})"
            )
    raise PolicyLoadError(f"{origin}: no {', '.join(POLICY_FILE_NAMES)} in {directory}")


def with_flag_overrides(
    spec: dict[str, Any],
    *,
    public_key: str | None = None,
    keyless_flags: bool = False,
    rekor_url: str | None = None,
    extra_rule_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The spec `ec` reports after its flags: `--rekor-url` and `--public-key` (the value
    as given, a path or `k8s://` reference) replace the policy's; keyless flags without
    `--public-key` clear the policy's key; `--extra-rule-data` is merged into every
    source's `ruleData` (keys sorted, as Go re-marshals the map)."""
    out = copy.deepcopy(spec)
    if rekor_url:
        out["rekorUrl"] = rekor_url
    if public_key:
        out["publicKey"] = public_key
    elif keyless_flags and out.get("publicKey"):
        del out["publicKey"]
    if extra_rule_data:
        for source in out.get("sources") or []:
            merged = {**(source.get("ruleData") or {}), **extra_rule_data}
            source["ruleData"] = dict(sorted(merged.items()))
    return out
