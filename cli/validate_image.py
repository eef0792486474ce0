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


def upload_vsas(registry: Any, report: Any, key: Any) -> None:
    """Attest each validated image with the VSA predicate (subject: that image)."""
    from konflux.engine.oci import parse_reference
    from konflux.engine.output.vsa import VSA_PREDICATE, vsa_statement
    from konflux.engine.sigstore import attest_image

    statement = vsa_statement(report)
    for target in report.targets:
        if "@" not in target.image:
            continue  # never resolved: nothing to attach to
        ref = parse_reference(target.image)
        registry.run(attest_image(registry.client, ref, key, VSA_PREDICATE, statement["predicate"]))


def sigstore_opts(opts: dict[str, Any], key_pem: str, keyless: bool) -> dict[str, Any]:
    """What the flags say about trust, for `data.config.default_sigstore_opts` (as `ec`)."""
    out: dict[str, Any] = {"ignore_rekor": bool(opts["ignore_rekor"])}
    if key_pem:
        out["public_key"] = key_pem
    for flag in (
        "certificate_identity",
        "certificate_identity_regexp",
        "certificate_oidc_issuer",
        "certificate_oidc_issuer_regexp",
        "rekor_url",
    ):
        if opts.get(flag):
            out[flag] = opts[flag]
    if keyless:
        out["public_key"] = ""
    return out


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


NO_TRUST = (
    "no public key and no keyless identity: give --public-key KEY, or "
    "--certificate-identity and --certificate-oidc-issuer (or set publicKey or identity "
    "in the policy)"
)


def trust_from_flags(
    policy_spec: dict[str, Any],
    *,
    public_key: str | None,
    identity: str | None,
    identity_regexp: str | None,
    issuer: str | None,
    issuer_regexp: str | None,
    trusted_root: str | None,
    rekor_public_key: str | None,
    ignore_rekor: bool,
) -> tuple[Any, str, bool]:
    """(trust, key PEM for the report, keyless?) as `ec` derives them from flags and policy.

    Like `ec`, a run with neither a key nor a keyless identity stops before any image
    is fetched: every signature check would fail.
    """
    from konflux.engine.sigstore import check_options

    keyless_flags = any((identity, identity_regexp, issuer, issuer_regexp))
    key = public_key or (None if keyless_flags else policy_spec.get("publicKey"))
    if key:
        pem = public_key_pem(key)
        return (
            check_options(
                public_key=pem.encode(),
                trusted_root=trusted_root,
                rekor_public_key=rekor_public_key,
                ignore_rekor=ignore_rekor,
            ),
            pem,
            False,
        )
    ident = policy_spec.get("identity") or {}
    identity = identity or ident.get("subject")
    identity_regexp = identity_regexp or ident.get("subjectRegExp")
    issuer = issuer or ident.get("issuer")
    issuer_regexp = issuer_regexp or ident.get("issuerRegExp")
    if not any((identity, identity_regexp, issuer, issuer_regexp)):
        raise click.UsageError(NO_TRUST)
    if not (issuer or issuer_regexp):
        raise click.UsageError("certificate OIDC issuer must be provided for keyless workflow")
    if not (identity or identity_regexp):
        raise click.UsageError("certificate identity must be provided for keyless workflow")
    return (
        check_options(
            certificate_identity=identity,
            certificate_identity_regexp=identity_regexp,
            certificate_oidc_issuer=issuer,
            certificate_oidc_issuer_regexp=issuer_regexp,
            trusted_root=trusted_root,
            rekor_public_key=rekor_public_key,
            ignore_rekor=ignore_rekor,
        ),
        "",
        True,
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
    from konflux.cli import vsa as vsa_cli
    from konflux.cli.cluster_refs import load_policy_ref, private_key
    from konflux.cli.go_values import format_duration
    from konflux.cli.progress import ProgressDisplay
    from konflux.engine import KonfluxError, Settings
    from konflux.engine.image.validator import ImageCheckSettings, SnapshotValidator
    from konflux.engine.oci import RegistryClient, RetryPolicy, SyncRegistry
    from konflux.engine.policy.spec import with_flag_overrides

    policy = load_policy_ref(opts["policy_ref"])
    trust, key_pem, keyless = trust_from_flags(
        policy.spec,
        public_key=opts["public_key"],
        identity=opts["certificate_identity"],
        identity_regexp=opts["certificate_identity_regexp"],
        issuer=opts["certificate_oidc_issuer"],
        issuer_regexp=opts["certificate_oidc_issuer_regexp"],
        trusted_root=opts["trusted_root"],
        # cosign's (and ec's) environment variable for a private Rekor's key
        rekor_public_key=opts["rekor_public_key"] or os.environ.get("SIGSTORE_REKOR_PUBLIC_KEY"),
        ignore_rekor=opts["ignore_rekor"],
    )
    # The report (and the policy input) name the policy as the flags made it, as ec's do.
    policy.spec = with_flag_overrides(
        policy.spec,
        public_key=opts["public_key"],
        keyless_flags=keyless and not opts["public_key"],
        rekor_url=opts["rekor_url"],
        extra_rule_data=extra_rule_data,
    )
    snapshot = snapshot_of(opts)
    # Read before the run, so a wrong password or file fails in a second, not after it.
    vsa_key = private_key(opts["vsa_signing_key"]) if opts["vsa_signing_key"] else None
    vsa_public = public_key_pem(opts["vsa_public_key"]) if opts["vsa_public_key"] else ""
    stores = vsa_cli.backends(opts["vsa_upload"])
    settings = Settings(
        effective_time=when,
        extra_rule_data=extra_rule_data,
        filter_type=opts["filter_type"],
        policy_key=public_key_pem(opts["policy_key"]) if opts["policy_key"] else None,
        sigstore_opts=sigstore_opts(opts, key_pem, keyless),
    )
    checks = ImageCheckSettings(
        trust=trust,
        key_pem=key_pem,
        keyless=keyless,
        skip_image_sig_check=opts["skip_image_sig_check"],
        skip_att_sig_check=opts["skip_att_sig_check"],
        effective_time_from_attestations=attestation_time,
        workers=opts["workers"],
    )
    retry = RetryPolicy(
        opts["retry_max_retry"],
        opts["retry_duration"],
        opts["retry_factor"],
        opts["retry_jitter"],
        opts["retry_max_wait"],
    )
    client = RegistryClient(
        insecure=opts["insecure"], retry=retry, max_concurrency=4 * opts["workers"]
    )
    with (
        SyncRegistry(client) as registry,
        ProgressDisplay("components", in_flight=client.in_flight) as progress,
    ):
        # ec --vsa-expiration: images whose stored VSA is still valid are not validated.
        skipped = vsa_cli.reusable(
            snapshot, policy, stores=stores, public_key_pem=vsa_public,
            expiration=opts["vsa_expiration_seconds"], registry=registry,
        )  # fmt: skip
        snapshot.components = [c for c in snapshot.components if c.name not in skipped]
        validator = SnapshotValidator(policy, settings, registry, checks)
        # The run goes on a worker so the deadline holds; on timeout it is abandoned and
        # closing the registry cancels its in-flight requests.
        import concurrent.futures  # here: `konflux` loads every command module at start

        runner = concurrent.futures.ThreadPoolExecutor(1)
        future = runner.submit(
            validator.validate,
            snapshot,
            info=opts["info"],
            show_successes=opts["show_successes"],
            show_warnings=opts["show_warnings"],
            progress=progress,
        )
        try:
            # --timeout 0 means no limit, as in ec
            report = future.result(timeout=opts["timeout"] or None)
        except concurrent.futures.TimeoutError:
            raise KonfluxError(
                f"validation did not finish within --timeout {format_duration(opts['timeout'])}"
            ) from None
        finally:
            runner.shutdown(wait=False, cancel_futures=True)
        report.targets += [vsa_cli.skipped_target(n, image) for n, image in skipped.items()]
        report.snapshot = opts["snapshot"] or ""  # the --snapshot name, as ec reports it
        if opts["vsa"]:
            vsa_cli.generate(report, opts, stores, key=vsa_key, registry=registry)
        elif vsa_key is not None and any(b.kind == "oci" for b in stores):
            upload_vsas(registry, report, vsa_key)
    return report, vsa_key
