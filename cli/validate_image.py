"""`konflux validate image`: the conforma check on an image or a Snapshot (flags as `ec`)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import click

from konflux.cli import options
from konflux.cli.command import Failed, ReportCommand
from konflux.engine.choices import IMAGE_FORMATS


def public_key_pem(value: str) -> str:
    """The PEM text of a public key given as a file, inline, or a `k8s://` Secret (its
    `cosign.pub`, as cosign reads it), checked to be one.

    The key is read once, here: its text is what the report names, and what is
    passed on is that text, never a second path to read.
    """
    from konflux.cli.cluster_refs import public_key_text
    from konflux.engine.sigstore.keys import load_public_key

    text = public_key_text(value)
    load_public_key(text if value.startswith("k8s://") else value)  # names what is wrong
    return text


def trust_flags(opts: dict[str, Any]) -> Any:
    """The trust flags, as the engine's request takes them."""
    from konflux.engine.image.request import TrustFlags

    return TrustFlags(
        public_key=opts["public_key"],
        identity=opts["certificate_identity"],
        identity_regexp=opts["certificate_identity_regexp"],
        issuer=opts["certificate_oidc_issuer"],
        issuer_regexp=opts["certificate_oidc_issuer_regexp"],
        trusted_root=opts["trusted_root"],
        # cosign's (and ec's) environment variable for a private Rekor's key
        rekor_public_key=opts["rekor_public_key"] or os.environ.get("SIGSTORE_REKOR_PUBLIC_KEY"),
        rekor_url=opts["rekor_url"],
        ignore_rekor=opts["ignore_rekor"],
    )


def snapshot_of(opts: dict[str, Any]) -> Any:
    """The components to validate, from every source `ec` reads, merged in its order:
    --images (file or inline), --file-path, --json-input, --image, --snapshot (a Snapshot
    in the cluster, or an inline spec)."""
    from konflux.cli.cluster_refs import snapshot_text
    from konflux.engine.documents import parse_text
    from konflux.engine.errors import KonfluxError
    from konflux.engine.image.snapshot import Snapshot, load_snapshot, snapshot_from_document

    snapshot = Snapshot()
    if opts["images"]:
        snapshot.merge(load_snapshot(opts["images"]))
    if opts["file_path"]:
        if not Path(opts["file_path"]).is_file():
            raise KonfluxError(f"{opts['file_path']}: no such file (--file-path)")
        snapshot.merge(load_snapshot(opts["file_path"]))
    if opts["json_input"]:
        doc = parse_text(opts["json_input"], "--json-input")
        snapshot.merge(snapshot_from_document(doc, "--json-input"))
    if opts["image"]:
        snapshot.merge(load_snapshot(image=opts["image"]))
    if opts["snapshot"]:
        doc = parse_text(snapshot_text(opts["snapshot"]), "--snapshot")
        snapshot.merge(snapshot_from_document(doc, "--snapshot"))
    return snapshot


class ValidateImageCommand(ReportCommand):
    activity = "validating image"


@click.command("image", cls=ValidateImageCommand)
@options.VALIDATE_IMAGE
def validate_image(**opts: Any) -> None:
    """Validate images (or a Snapshot's components) against a policy."""
    from konflux.cli import vsa as vsa_cli
    from konflux.cli.go_values import parse_duration
    from konflux.cli.outputs import parse_targets, write_error_documents, write_reports
    from konflux.cli.validate import color_choice, effective_time_option, render, rule_data
    from konflux.engine import KonfluxError

    if opts["output_file"]:  # ec's deprecated -o FILE: the JSON report to FILE
        opts["outputs"] = (*opts["outputs"], f"json={opts['output_file']}")
    targets = parse_targets(opts["outputs"], IMAGE_FORMATS)
    if not any(opts[k] for k in ("image", "images", "snapshot", "file_path", "json_input")):
        raise click.UsageError("give --image REF, --images SNAPSHOT or --snapshot NAME")
    try:
        vsa_expiration = parse_duration(opts["vsa_expiration"])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--vsa-expiration'") from None
    problems = vsa_cli.option_errors(opts, vsa_expiration)
    if problems:
        raise Failed("\n".join(problems))
    if "oci" in opts["vsa_upload"] and not opts["vsa_signing_key"]:
        raise click.UsageError("--vsa-upload oci needs --vsa-signing-key")
    if opts["vsa"] and opts["attestation_format"] == "predicate" and opts["vsa_signing_key"]:
        logging.getLogger("konflux.vsa").warning(
            "--vsa-signing-key is ignored for --attestation-format=predicate"
        )
    opts["vsa_expiration_seconds"] = vsa_expiration
    attestation_time = opts["effective_time"].lower() == "attestation"
    when = effective_time_option(
        "now" if attestation_time else opts["effective_time"], opts["allow_past_effective_time"]
    )
    extra_rule_data = rule_data(opts["extra_rule_data"])
    try:
        report, vsa_key = _validate(opts, when, attestation_time, extra_rule_data)
    except KonfluxError as exc:
        write_error_documents(list(opts["outputs"]), "validating image", exc)
        raise Failed(str(exc)) from None

    report.show_policy_docs_link = opts["show_policy_docs_link"]
    colour = color_choice(opts["color"], opts["no_color"])

    def rendered(t: Any) -> str:
        if t.format == "vsa" and vsa_key is not None:
            from konflux.engine.output.vsa import signed_vsa

            return signed_vsa(report, vsa_key) + "\n"
        return render(t.apply(report), t.format, t.path, colour)

    write_reports(targets, rendered)
    if opts["strict"] and not report.success:
        raise Failed("success criteria not met")


def _validate(
    opts: dict[str, Any], when: Any, attestation_time: bool, extra_rule_data: dict[str, Any]
) -> tuple[Any, Any]:
    """Build the engine's request from the flags and run it; (report, VSA signing key)."""
    from konflux.cli.cluster_refs import load_policy_ref, private_key
    from konflux.cli.go_values import format_duration
    from konflux.cli.progress import ProgressDisplay
    from konflux.engine import Settings
    from konflux.engine.image.request import (
        ImageValidationRequest,
        TrustError,
        VsaRequest,
        derive_trust,
        sigstore_opts,
    )
    from konflux.engine.image.validator import ImageCheckSettings
    from konflux.engine.oci import RetryPolicy
    from konflux.engine.policy.spec import with_flag_overrides

    policy = load_policy_ref(opts["policy_ref"])
    flags = trust_flags(opts)
    try:
        trust = derive_trust(policy.spec, flags, public_key_pem)
    except TrustError as exc:
        raise click.UsageError(str(exc)) from None
    # The report (and the policy input) name the policy as the flags made it, as ec's do.
    policy.spec = with_flag_overrides(
        policy.spec,
        public_key=opts["public_key"],
        keyless_flags=trust.keyless and not opts["public_key"],
        rekor_url=opts["rekor_url"],
        extra_rule_data=extra_rule_data,
    )
    snapshot = snapshot_of(opts)
    # Read before the run, so a wrong password or file fails in a second, not after it.
    vsa_key = private_key(opts["vsa_signing_key"]) if opts["vsa_signing_key"] else None
    request = ImageValidationRequest(
        policy=policy,
        snapshot=snapshot,
        settings=Settings(
            effective_time=when,
            extra_rule_data=extra_rule_data,
            filter_type=opts["filter_type"],
            policy_key=public_key_pem(opts["policy_key"]) if opts["policy_key"] else None,
            sigstore_opts=sigstore_opts(flags, trust),
        ),
        checks=ImageCheckSettings(
            trust=trust.check,
            key_pem=trust.key_pem,
            keyless=trust.keyless,
            skip_image_sig_check=opts["skip_image_sig_check"],
            skip_att_sig_check=opts["skip_att_sig_check"],
            effective_time_from_attestations=attestation_time,
            workers=opts["workers"],
        ),
        retry=RetryPolicy(
            opts["retry_max_retry"],
            opts["retry_duration"],
            opts["retry_factor"],
            opts["retry_jitter"],
            opts["retry_max_wait"],
        ),
        insecure=tuple(opts["insecure"]),
        timeout=opts["timeout"],
        timeout_text=f"--timeout {format_duration(opts['timeout'])}",
        info=opts["info"],
        show_successes=opts["show_successes"],
        show_warnings=opts["show_warnings"],
        snapshot_name=opts["snapshot"] or "",
        vsa=VsaRequest(
            generate=bool(opts["vsa"]),
            attestation_format=opts["attestation_format"],
            output_dir=opts["attestation_output_dir"],
            upload=tuple(opts["vsa_upload"]),
            signing_key=vsa_key,
            public_key_pem=public_key_pem(opts["vsa_public_key"]) if opts["vsa_public_key"] else "",
            expiration=opts["vsa_expiration_seconds"],
        ),
    )
    report = request.run(lambda in_flight: ProgressDisplay("components", in_flight=in_flight))
    return report, vsa_key
