"""VSAs around one image validation run: reuse before it, write and store after it.

Before: an image whose stored VSA is still valid for this policy is not
validated again (`reusable`, `ec --vsa-expiration`). After: one VSA per
validated image is written to a directory and stored in each backend
(`write_and_store`, `ec --vsa --vsa-upload`), or, without `--vsa`, attached to
the image when the `oci` backend and a signing key are given (`attach_all`).
Backends and the decision whether a stored VSA is usable are in
`engine/vsa_store.py`; the statement and its signing in `engine/output/vsa.py`.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import shutil
import tempfile
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from konflux.engine.errors import KonfluxError
from konflux.engine.image.snapshot import Snapshot
from konflux.engine.oci import SyncRegistry, parse_reference
from konflux.engine.output.vsa import VSA_PREDICATE, signed_vsa, vsa_statement
from konflux.engine.policy.spec import Policy
from konflux.engine.report import Outcome, Report, Result, TargetReport
from konflux.engine.sigstore import PrivateKey, attest_image
from konflux.engine.vsa_store import (
    Backend,
    VsaError,
    find_valid_vsa,
    parse_backend,
    policy_digest,
    upload_local,
    write_local,
)

log = logging.getLogger("konflux.vsa")


def backends(specs: Iterable[str]) -> list[Backend]:
    """The usable backends (an invalid one is warned about at each upload, as `ec`)."""
    out = []
    for spec in specs:
        try:
            out.append(parse_backend(spec))
        except VsaError:
            continue
    return out


def warn_invalid(specs: Iterable[str]) -> None:
    """`ec` parses the --vsa-upload specs at each upload and warns about the bad ones."""
    for spec in specs:
        try:
            parse_backend(spec)
        except VsaError:
            kind = spec.partition("@")[0]
            log.warning(
                f"invalid storage config '{spec}': unsupported backend '{kind}'. "
                "Supported backends: rekor, local, oci"
            )


def pinned_policy_digest(policy: Policy) -> str:
    """The digest of the policy as it would be reported (sources pinned), fetched now."""
    from konflux.engine.policy.sources import fetch_pinned

    spec = copy.deepcopy(policy.spec)
    work = Path(tempfile.mkdtemp(prefix="konflux-vsa-"))
    try:
        for source in spec.get("sources") or []:
            for key in ("policy", "data"):
                if key in source:
                    source[key] = [fetch_pinned(u, work).pinned for u in source[key]]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return policy_digest(spec)


def reusable(
    snapshot: Snapshot,
    policy: Policy,
    *,
    stores: list[Backend],
    public_key_pem: str,
    expiration: float,
    registry: SyncRegistry,
) -> dict[str, str]:
    """Component name -> its pinned image, for components whose stored VSA lets them skip
    validation (the others are validated)."""
    from konflux.engine.sigstore.keys import load_public_key

    if expiration <= 0 or not stores or not public_key_pem:
        return {}
    key = load_public_key(public_key_pem)
    digest = pinned_policy_digest(policy)
    skipped = {}
    for c in snapshot.components:
        try:
            pinned = str(registry.resolve(parse_reference(c.container_image)))
        except (KonfluxError, ValueError):
            continue  # validation will say why it cannot be read
        verdict = find_valid_vsa(
            stores,
            pinned,
            public_key=key,
            policy=digest,
            max_age=timedelta(seconds=expiration),
            registry=registry,
        )
        if verdict.usable:
            log.info(f"Validation skipped for {pinned}: {verdict.reason}")
            skipped[c.name] = pinned
        else:
            log.debug(f"VSA for {pinned} not used: {verdict.reason}")
    return skipped


def skipped_target(name: str, image: str) -> TargetReport:
    """The report entry of a component not validated because its VSA was reused."""
    result = Result(
        "Validation skipped: a valid VSA for this image and policy exists",
        {"code": "builtin.vsa.reused"},
    )
    return TargetReport(name, Outcome(successes=[result]), image=image)


def attach(registry: SyncRegistry, image: str, report: Report, key: PrivateKey) -> None:
    """Attest `image` with the VSA predicate of `report` (cosign's `.att`, beside provenance)."""
    statement = vsa_statement(report)
    ref = parse_reference(image)
    registry.run(attest_image(registry.client, ref, key, VSA_PREDICATE, statement["predicate"]))


def attach_all(registry: SyncRegistry, report: Report, key: PrivateKey) -> None:
    """Attest each validated image with the VSA predicate (subject: that image)."""
    for target in report.targets:
        if "@" in target.image:  # never resolved: nothing to attach to
            attach(registry, target.image, report, key)


def write_and_store(
    report: Report,
    *,
    output_dir: str | None,
    attestation_format: str,
    upload: tuple[str, ...],
    stores: list[Backend],
    key: PrivateKey | None,
    registry: SyncRegistry,
) -> Path:
    """Write (and store) one VSA per image; the directory written to."""
    out = Path(output_dir or tempfile.mkdtemp(prefix="vsa-"))
    out.mkdir(parents=True, exist_ok=True)
    uploads = 0
    for target in report.targets:
        if "@" not in target.image:
            continue  # never resolved: nothing a VSA could name
        uploads += 1
        single = dataclasses.replace(report, targets=[target])
        if attestation_format == "predicate":
            text = json.dumps(vsa_statement(single), separators=(",", ":"))
        else:
            text = signed_vsa(single, key)
        write_local(out, target.image, text)
        for store in stores:
            if store.kind == "local":
                upload_local(Path(store.location), text)
            elif store.kind == "oci" and attestation_format == "dsse" and key is not None:
                attach(registry, target.image, single, key)
            elif store.kind == "rekor":
                log.error(f"[VSA] uploading to Rekor ({store.location}) is not supported")
    if upload:
        # once per component VSA and once for ec's snapshot VSA (uploaded apart there)
        for _ in range(uploads + 1 if uploads else 0):
            warn_invalid(upload)
    else:
        log.error("[VSA] VSA files generated but not uploaded (no --vsa-upload backends specified)")
    return out
