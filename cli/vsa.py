"""VSAs on the command line: `validate image --vsa ...` and `validate vsa`, with `ec`'s flags.

`validate image`:
- `--vsa` writes one VSA per validated image into `--attestation-output-dir` (default a
  new temporary directory), as a signed DSSE envelope (`--attestation-format dsse`, needs
  `--vsa-signing-key`, which may be a `k8s://` Secret) or the bare statement
  (`predicate`), and stores it in each `--vsa-upload` backend (`local@DIR`, `oci`);
- `--vsa-expiration DURATION` (default 168h, `0` turns it off) with `--vsa-public-key`:
  an image whose stored VSA is still valid (engine/vsa_store.py) is not validated again.
`validate vsa` checks stored VSAs against a policy, falling back to validating the image.
The VSA steps of a run are the engine's (engine/image/vsa.py); here are the flags only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from konflux.cli import options
from konflux.cli.command import Command
from konflux.engine.choices import VSA_FORMATS
from konflux.engine.errors import KonfluxError


def option_errors(opts: dict[str, Any], expiration: float) -> list[str]:
    """Every problem with the VSA flags (reported together, as `ec` joins them)."""
    errors = []
    if opts["vsa"]:
        if opts["attestation_format"] not in VSA_FORMATS:
            errors.append(
                f"invalid --attestation-format: {opts['attestation_format']} "
                "(valid: dsse, predicate)"
            )
        if opts["attestation_format"] == "dsse" and not opts["vsa_signing_key"]:
            errors.append("--vsa-signing-key required for --attestation-format=dsse")
    if opts["vsa_upload"] and expiration > 0 and not opts["vsa_public_key"]:
        errors.append(
            "--vsa-public-key required when --vsa-upload is set with --vsa-expiration > 0"
        )
    return errors


# -- validate vsa --------------------------------------------------------------------------------


def _names_a_file(value: str) -> bool:
    """Whether a --vsa value can only mean a file: a path form or a file suffix no image
    reference has. (Read as an image it would send a request to Docker Hub.)"""
    last = value.rsplit("/", 1)[-1]
    tagged = ":" in last or "@" in last  # `repo:v1.json` is a tag
    return value.startswith(("/", "./", "../", "~")) or (
        not tagged and last.endswith((".json", ".jsonl", ".yaml", ".yml", ".intoto"))
    )


@click.command("vsa", cls=Command)
@options.VALIDATE_VSA
def validate_vsa(
    identifier: str | None,
    vsa_identifier: str | None,
    images: str | None,
    policy_ref: str,
    vsa_retrieval: tuple[str, ...],
    vsa_public_key: str | None,
    ignore_signature_verification: bool,
    vsa_expiration: str,
    no_fallback: bool,
    fallback_public_key: str | None,
    strict: bool,
    outputs: tuple[str, ...],
) -> None:
    """Check VSAs against a policy: an image with a valid VSA passes without being validated;
    one without falls back to `validate image` (unless --no-fallback)."""
    from konflux.cli.cluster_refs import load_policy_ref
    from konflux.cli.command import Failed
    from konflux.cli.go_values import parse_duration
    from konflux.cli.validate_image import public_key_pem
    from konflux.engine.image.snapshot import load_snapshot
    from konflux.engine.image.vsa import backends, pinned_policy_digest
    from konflux.engine.oci import SyncRegistry, parse_reference
    from konflux.engine.sigstore.keys import load_public_key
    from konflux.engine.vsa_store import envelope_statement, find_valid_vsa, judge, parse_backend

    target = vsa_identifier or identifier
    if target and images:
        raise click.UsageError("give a VSA (--vsa FILE|IMAGE) or --images, not both")
    if not (target or images):
        raise click.UsageError("give a VSA (--vsa FILE|IMAGE) or the images (--images)")
    if target and not Path(target).is_file() and _names_a_file(target):
        raise Failed(f"{target}: no such file (--vsa takes a VSA file or an image reference)")
    if not ignore_signature_verification and not vsa_public_key:
        raise click.UsageError("--vsa-public-key is required (or --ignore-signature-verification)")
    try:
        max_age = timedelta(seconds=parse_duration(vsa_expiration, long_units=True))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--vsa-expiration") from None
    rows: list[dict[str, Any]] = []
    try:
        # The key first: a wrong file fails at once, before the sources are fetched.
        key = (
            None
            if ignore_signature_verification
            # named by its file when it is one (its text is never read as a second path)
            else load_public_key(public_key_pem(vsa_public_key or ""))
        )
        policy = load_policy_ref(policy_ref)
        digest = pinned_policy_digest(policy)
        now = datetime.now(UTC)
        if target and Path(target).is_file():
            statement = envelope_statement(Path(target).read_bytes()) or {}
            subject = (statement.get("subject") or [{}])[0]
            image = f"{subject.get('name')}@sha256:{(subject.get('digest') or {}).get('sha256')}"
            verdict = judge(
                Path(target).read_bytes(), image=image, public_key=key, policy=digest,
                max_age=max_age, now=now,
            )  # fmt: skip
            rows.append({"image": image, "passed": verdict.usable, "reason": verdict.reason})
        else:
            stores = backends(vsa_retrieval) or [parse_backend("oci")]
            names = (
                [c.container_image for c in load_snapshot(images).components]
                if images
                else [str(target)]
            )
            with SyncRegistry() as registry:
                for name in names:
                    pinned = str(registry.resolve(parse_reference(name)))
                    verdict = find_valid_vsa(
                        stores, pinned, public_key=key, policy=digest, max_age=max_age,
                        now=now, registry=registry,
                    )  # fmt: skip
                    rows.append(
                        {"image": pinned, "passed": verdict.usable, "reason": verdict.reason}
                    )
    except KonfluxError as exc:
        raise Failed(str(exc)) from None
    failed = [r for r in rows if not r["passed"]]
    if failed and not no_fallback:
        from konflux.cli.validate_image import validate_image

        spec = {
            "components": [
                {"name": f"image-{i}", "containerImage": r["image"]} for i, r in enumerate(failed)
            ]
        }
        args = ["--policy", policy_ref, "--images", json.dumps(spec), "--output", "json"]
        if fallback_public_key or vsa_public_key:
            args += ["--public-key", str(fallback_public_key or vsa_public_key)]
        click.echo(f"{len(failed)} image(s) without a valid VSA: validating them", err=True)
        validate_image.main(args, prog_name="konflux validate image")  # exits with its code
    summary = {"success": not failed, "results": rows}
    if "json" in [o.partition("=")[0] for o in outputs]:
        click.echo(json.dumps(summary))
    else:
        for r in rows:
            click.echo(f"{'✓' if r['passed'] else '✗'} {r['image']}: {r['reason']}")
    if failed and strict:
        raise Failed("success criteria not met")
