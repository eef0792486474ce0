"""The registry-backed `ec.oci.*` and `ec.sigstore.*` builtins, as `ec` defines them.

They run inside an OPA evaluation (synchronously, on the evaluating thread)
and reach the registry through `SyncRegistry`. As in `ec`, an OCI fetch that
fails makes the call *undefined* (the rule depending on it cannot pass), and
the sigstore ones answer `{success: false, errors: [...]}`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import yaml

from konflux.engine.documents import DocumentError, json_loads, load_yaml, yaml_error
from konflux.engine.errors import KonfluxError
from konflux.engine.evaluator._bridge import UNDEFINED
from konflux.engine.limits import LimitExceeded
from konflux.engine.oci import NotFoundError, SyncRegistry
from konflux.engine.sigstore import (
    check_options,
    cosign_layout,
    verify_attestations,
    verify_image_signatures,
)

log = logging.getLogger(__name__)


def parsed_file(content: bytes, name: str = "", where: str = "") -> Any:
    """File content as Rego gets it: JSON/YAML files parsed (by name), anything else as text.

    Malformed content stays text, so a rule can still see (and reject) it; content past
    a parser limit (alias expansion, nesting, integer size) is a `LimitExceeded` naming
    the file: reading it whole is what the limit is there to prevent.
    """
    text = content.decode("utf-8", "replace")
    try:
        if name.endswith(".json") or (not name and text.lstrip()[:1] in ("{", "[")):
            return json_loads(text)
        if name.endswith((".yaml", ".yml")):
            return load_yaml(text)
    except yaml.YAMLError as exc:
        _refuse_past_limit(yaml_error(exc), f"{where}{name}")
    except DocumentError as exc:
        _refuse_past_limit(exc, f"{where}{name}")
    except ValueError:
        pass
    return text


def _refuse_past_limit(exc: DocumentError, where: str) -> None:
    if exc.limit:
        raise LimitExceeded(exc.located(where)) from None


def _guard(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """As in `ec`, a failed call is undefined; a limit reached is an error the report names."""

    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except LimitExceeded:
            raise
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
            return json_loads(text)
        except DocumentError as exc:
            _refuse_past_limit(exc, ref)
        except ValueError:
            pass
        try:
            return load_yaml(text)
        except yaml.YAMLError as exc:
            _refuse_past_limit(yaml_error(exc), ref)
            return text  # neither JSON nor YAML: the text, as documented

    def blob_files(ref: str, paths: list[str]) -> dict[str, Any]:
        files = registry.blob_files(ref, paths)
        return {k: parsed_file(v, k, f"{ref}: ") for k, v in files.items()}

    def image_manifests(refs: list[str]) -> dict[str, Any]:
        out = {}
        for ref in refs:
            try:
                out[ref] = registry.image_manifest(ref)
            except KonfluxError as exc:
                log.warning("ec.oci.image_manifests: %s: %s", ref, exc)
        return out

    def image_files(ref: str, paths: list[str]) -> dict[str, Any]:
        files = registry.image_files(ref, paths)
        return {k: parsed_file(v, k, f"{ref}: ") for k, v in files.items()}

    def image_tag_refs(ref: str) -> list[str]:
        """The image's own cosign tags that exist (`sha256-<hex>.sig|.att|.sbom`), as `ec`."""
        pinned = registry.resolve(ref)
        assert pinned.digest is not None
        found = []
        for suffix in cosign_layout.SUFFIXES:
            tagged = pinned.with_tag(cosign_layout.triangulation_tag(pinned.digest, suffix))
            try:
                registry.descriptor(tagged)
            except NotFoundError:
                continue
            found.append(str(tagged))
        return found

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
