"""The registry-backed `ec.oci.*` and `ec.sigstore.*` builtins, as `ec` defines them.

They run inside an OPA evaluation (synchronously, on the evaluating thread)
and reach the registry through `SyncRegistry`. As in `ec`, an OCI fetch that
fails makes the call *undefined* (the rule depending on it cannot pass), and
the sigstore ones answer `{success: false, errors: [...]}`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import yaml

from konflux.engine.errors import KonfluxError
from konflux.engine.evaluator._bridge import UNDEFINED
from konflux.engine.oci import SyncRegistry, parse_reference
from konflux.engine.sigstore import (
    check_options,
    verify_attestations,
    verify_image_signatures,
)

log = logging.getLogger(__name__)


def _parsed(content: bytes) -> Any:
    """File content as ec hands it to Rego: JSON or YAML parsed, else the text."""
    text = content.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _guard(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except (KonfluxError, OSError, TimeoutError, ValueError) as exc:
            log.warning("%s%r: %s; the call is undefined", name, args, exc)
            return UNDEFINED

    return call


def oci_builtins(registry: SyncRegistry) -> dict[str, Callable[..., Any]]:
    def blob(ref: str) -> str:
        return registry.blob(ref).decode("utf-8", "replace")

    def parsed_blob(ref: str) -> Any:
        return _parsed(registry.blob(ref))

    def blob_files(ref: str, paths: list[str]) -> dict[str, Any]:
        from konflux.engine.oci.sync import _layer_files

        wanted = [p.lstrip("/") for p in paths]
        files = _layer_files(registry.blob(ref), "", wanted, ref)
        return {k: _parsed(v) for k, v in files.items()}

    def image_manifests(refs: list[str]) -> dict[str, Any]:
        out = {}
        for ref in refs:
            try:
                out[ref] = registry.image_manifest(ref)
            except KonfluxError as exc:
                log.warning("ec.oci.image_manifests: %s: %s", ref, exc)
        return out

    def image_files(ref: str, paths: list[str]) -> dict[str, Any]:
        return {k: _parsed(v) for k, v in registry.image_files(ref, paths).items()}

    def image_tag_refs(ref: str) -> list[str]:
        parsed = parse_reference(ref)
        return [str(parsed.with_tag(t)) for t in registry.tags(ref)]

    def image_referrers(ref: str) -> list[dict[str, Any]]:
        pinned = registry.resolve(ref)
        return [
            {**d, "ref": str(pinned.by_digest(d["digest"]))} for d in registry.referrers(pinned)
        ]

    fns: dict[str, Callable[..., Any]] = {
        "ec.oci.blob": blob,
        "ec.oci.parsed_blob": parsed_blob,
        "ec.oci.blob_files": blob_files,
        "ec.oci.descriptor": registry.descriptor,
        "ec.oci.image_manifest": registry.image_manifest,
        "ec.oci.image_manifests": image_manifests,
        "ec.oci.image_files": image_files,
        "ec.oci.image_index": registry.image_index,
        "ec.oci.image_tag_refs": image_tag_refs,
        "ec.oci.image_referrers": image_referrers,
    }
    return {name: _guard(name, fn) for name, fn in fns.items()}


def _options(opts: Any) -> Any:
    opts = opts if isinstance(opts, dict) else {}
    return check_options(
        public_key=opts.get("public_key") or None,
        certificate_identity=opts.get("certificate_identity"),
        certificate_identity_regexp=opts.get("certificate_identity_regexp"),
        certificate_oidc_issuer=opts.get("certificate_oidc_issuer"),
        certificate_oidc_issuer_regexp=opts.get("certificate_oidc_issuer_regexp"),
        rekor_public_key=opts.get("rekor_public_key") or None,
        ignore_rekor=bool(opts.get("ignore_rekor")),
    )


def _ec_signature(entity: dict[str, Any]) -> dict[str, Any]:
    """ec's builtin shape names the signature `signature` (the report calls it `sig`)."""
    out = {k: v for k, v in entity.items() if k != "sig"}
    out["signature"] = entity.get("sig", "")
    return out


def sigstore_builtins(registry: SyncRegistry) -> dict[str, Callable[..., Any]]:
    def verify_image(ref: str, opts: Any) -> dict[str, Any]:
        try:
            pinned = registry.resolve(ref)
            report = registry.run(verify_image_signatures(registry.client, pinned, _options(opts)))
        except (KonfluxError, OSError, TimeoutError, ValueError) as exc:
            return {"success": False, "errors": [str(exc)], "signatures": []}
        result = report.result
        return {
            "success": bool(result),
            "errors": [] if result else [result.reason],
            "signatures": [_ec_signature(e) for e in report.entities()],
        }

    def verify_attestation(ref: str, opts: Any) -> dict[str, Any]:
        try:
            pinned = registry.resolve(ref)
            report = registry.run(verify_attestations(registry.client, pinned, _options(opts)))
        except (KonfluxError, OSError, TimeoutError, ValueError) as exc:
            return {"success": False, "errors": [str(exc)], "attestations": []}
        result = report.result
        return {
            "success": bool(result),
            "errors": [] if result else [result.reason],
            "attestations": [
                {
                    "statement": a["statement"],
                    "signatures": [_ec_signature(s) for s in a["signatures"]],
                }
                for a in report.inputs()
            ],
        }

    return {
        "ec.sigstore.verify_image": verify_image,
        "ec.sigstore.verify_attestation": verify_attestation,
    }


def registry_builtins(registry: SyncRegistry) -> dict[str, Callable[..., Any]]:
    return {**oci_builtins(registry), **sigstore_builtins(registry)}
