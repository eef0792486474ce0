"""The registry-backed `ec.oci.*` and `ec.sigstore.*` builtins, as `ec` defines them.

They run inside an OPA evaluation (synchronously, on the evaluating thread)
and reach the registry through `SyncRegistry`. As in `ec`, an OCI fetch that
fails makes the call *undefined* (the rule depending on it cannot pass), and
the sigstore ones answer `{success: false, errors: [...]}`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import Any

import yaml

from konflux.engine.errors import KonfluxError
from konflux.engine.evaluator._bridge import UNDEFINED
from konflux.engine.image import ec_shapes
from konflux.engine.oci import SyncRegistry, parse_reference
from konflux.engine.oci.sync import layer_files
from konflux.engine.sigstore import (
    check_options,
    verify_attestations,
    verify_image_signatures,
)

log = logging.getLogger(__name__)

TAR_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar"  # gzip is detected by its magic


DIR_FILE_TYPES = (".yaml", ".yml", ".json")  # ec's supportedExtensions


def _parsed(content: bytes, name: str = "") -> Any:
    """File content as Rego gets it: JSON/YAML files parsed (by name), anything else as text."""
    text = content.decode("utf-8", "replace")
    try:
        if name.endswith(".json") or (not name and text.lstrip()[:1] in ("{", "[")):
            return json.loads(text)
        if name.endswith((".yaml", ".yml")):
            return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, RecursionError):
        pass  # malformed (or nested past any reason): the text itself, for a rule to reject
    return text


def image_dir_files(registry: SyncRegistry, ref: str, paths: list[str]) -> dict[str, Any]:
    """As ec's `ec.oci.image_files` (and `input.image.files`): each path names a directory,
    and its YAML/JSON files (directly in it) are returned parsed, other files ignored.
    konflux also takes a file's own path."""
    files = [str(p).lstrip("/") for p in paths]
    dirs = {f.strip("/").lower() for f in files}
    found = registry.image_files(ref, files + [f"{d}/" for d in dirs if d])
    out: dict[str, Any] = {}
    for name, content in found.items():
        folder, _, base = name.rpartition("/")
        if name in files:
            out[name] = _parsed(content, name)
        elif folder.lower() in dirs and base.lower().endswith(DIR_FILE_TYPES):
            out[name] = _parsed(content, name.lower())
    try:
        return _go_sorted(out)
    except RecursionError:  # a hostile depth the parser accepted: left as parsed
        return out


def _go_sorted(value: Any) -> Any:
    """Objects with their keys sorted, as Go marshals maps (ec's YAML-to-JSON files)."""
    if isinstance(value, dict):
        return {k: _go_sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_go_sorted(v) for v in value]
    return value


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
        text = registry.blob(ref).decode("utf-8", "replace")
        try:
            return json.loads(text)
        except ValueError:
            return yaml.safe_load(text)

    def blob_files(ref: str, paths: list[str]) -> dict[str, Any]:
        wanted = [p.lstrip("/") for p in paths]
        files = layer_files(registry.blob(ref), TAR_MEDIA_TYPE, wanted, ref)
        return {k: _parsed(v, k) for k, v in files.items()}

    def image_files(ref: str, paths: list[str]) -> dict[str, Any]:
        return image_dir_files(registry, ref, paths)

    def image_tag_refs(ref: str) -> list[str]:
        """As ec: the image's cosign tags (`sha256-<hex>.sig`, `.att`, `.sbom`) that exist."""
        from konflux.engine.oci.errors import NotFoundError
        from konflux.engine.sigstore import cosign_layout as layout

        pinned = registry.resolve(ref)
        found = []
        for suffix in (layout.SIGNATURE_SUFFIX, layout.ATTESTATION_SUFFIX, layout.SBOM_SUFFIX):
            tagged = parse_reference(str(pinned.context)).with_tag(
                layout.triangulation_tag(pinned.digest, suffix)
            )
            try:
                registry.descriptor(tagged)
            except NotFoundError:
                continue  # ec: "tag-based ... artifact does not exist"
            found.append(str(tagged))
        return found

    def image_referrers(ref: str) -> list[dict[str, Any]]:
        pinned = registry.resolve(ref)
        return [
            ec_shapes.referrer(d, str(pinned.by_digest(d["digest"])))
            for d in registry.referrers(pinned)
        ]

    def image_manifests(refs: list[str]) -> dict[str, Any]:
        out = {}
        for ref in refs:
            try:
                out[ref] = ec_shapes.manifest(registry.image_manifest(ref))
            except KonfluxError as exc:
                log.warning("ec.oci.image_manifests: %s: %s", ref, exc)
        return out

    fns: dict[str, Callable[..., Any]] = {
        "ec.oci.blob": blob,
        "ec.oci.parsed_blob": parsed_blob,
        "ec.oci.blob_files": blob_files,
        "ec.oci.descriptor": lambda ref: ec_shapes.descriptor(registry.descriptor(ref)),
        "ec.oci.image_manifest": lambda ref: ec_shapes.manifest(registry.image_manifest(ref)),
        "ec.oci.image_manifests": image_manifests,
        "ec.oci.image_files": image_files,
        "ec.oci.image_index": lambda ref: ec_shapes.index(registry.image_index(ref)),
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
        # cosign's (and so ec's) environment variable for a private Rekor's key
        rekor_public_key=opts.get("rekor_public_key")
        or os.environ.get("SIGSTORE_REKOR_PUBLIC_KEY")
        or None,
        ignore_rekor=bool(opts.get("ignore_rekor")),
    )


def sigstore_builtins(registry: SyncRegistry) -> dict[str, Callable[..., Any]]:
    def verify_image(ref: str, opts: Any) -> dict[str, Any]:
        try:
            pinned = registry.resolve(ref)
            report = registry.run(verify_image_signatures(registry.client, pinned, _options(opts)))
        except (KonfluxError, OSError, TimeoutError, ValueError) as exc:
            return {"success": False, "errors": [str(exc)], "signatures": []}
        return report.builtin_result()

    def verify_attestation(ref: str, opts: Any) -> dict[str, Any]:
        try:
            pinned = registry.resolve(ref)
            report = registry.run(verify_attestations(registry.client, pinned, _options(opts)))
        except (KonfluxError, OSError, TimeoutError, ValueError) as exc:
            return {"success": False, "errors": [str(exc)], "attestations": []}
        return report.builtin_result()

    return {
        "ec.sigstore.verify_image": verify_image,
        "ec.sigstore.verify_attestation": verify_attestation,
    }


def registry_builtins(registry: SyncRegistry) -> dict[str, Callable[..., Any]]:
    return {**oci_builtins(registry), **sigstore_builtins(registry)}
