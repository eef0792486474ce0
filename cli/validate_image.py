"""`konflux validate image`: the conforma check on an image or a Snapshot (flags as `ec`)."""

from __future__ import annotations

import concurrent.futures
import logging
import os
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress

from konflux.cli.cluster_refs import load_policy_ref, private_key, public_key_text, snapshot_text
from konflux.engine import KonfluxError, Settings, parse_effective_time
from konflux.engine.documents import parse_text
from konflux.engine.evaluation import FILTER_TYPES
from konflux.engine.image.snapshot import Snapshot, load_snapshot, snapshot_from_document
from konflux.engine.image.validator import ImageCheckSettings, SnapshotValidator
from konflux.engine.oci import RegistryClient, RetryPolicy, SyncRegistry, parse_reference
from konflux.engine.output.formats import IMAGE_FORMATS
from konflux.engine.output.vsa import VSA_PREDICATE, signed_vsa, vsa_statement
from konflux.engine.policy.spec import with_flag_overrides
from konflux.engine.sigstore import CheckOptions, attest_image, check_options


def upload_vsas(registry: SyncRegistry, report: Any, key: Any) -> None:
    """Attest each validated image with the VSA predicate (subject: that image)."""
    statement = vsa_statement(report)
    for target in report.targets:
        if "@" not in target.image:
            continue  # never resolved: nothing to attach to
        ref = parse_reference(target.image)
        registry.run(attest_image(registry.client, ref, key, VSA_PREDICATE, statement["predicate"]))


def snapshot_of(opts: dict[str, Any]) -> Snapshot:
    """The components to validate, from every source `ec` reads, merged in its order:
    --images (file or inline), --file-path, --json-input, --image, --snapshot (cluster)."""
    snapshot = Snapshot()
    if opts["images"]:
        snapshot.merge(load_snapshot(opts["images"]))
    if opts["file_path"]:
        path = Path(opts["file_path"])
        if not path.is_file():
            raise KonfluxError(f"{opts['file_path']}: no such file (--file-path)")
        snapshot.merge(load_snapshot(str(path)))
    if opts["json_input"]:
        snapshot.merge(
            snapshot_from_document(parse_text(opts["json_input"], "--json-input"), "--json-input")
        )
    if opts["image"]:
        snapshot.merge(load_snapshot(image=opts["image"]))
    if opts["snapshot"]:
        text = snapshot_text(opts["snapshot"])
        snapshot.merge(snapshot_from_document(parse_text(text, "--snapshot"), "--snapshot"))
    return snapshot


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


def _read_key(value: str) -> str:
    """PEM text of a key: a `k8s://` Secret's cosign.pub, a file path, or inline PEM."""
    return public_key_text(value)


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
) -> tuple[CheckOptions | None, str, bool]:
    """(trust, key PEM for the report, keyless?) as `ec` derives them from flags and policy."""
    keyless_flags = any((identity, identity_regexp, issuer, issuer_regexp))
    key = public_key or (None if keyless_flags else policy_spec.get("publicKey"))
    if key:
        pem = _read_key(key)
        return (
            check_options(
                public_key=pem,
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
        return None, "", False
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


@click.command("image")
@click.option("--image", "-i", "image", help="An image reference to validate.")
@click.option("--images", help="A Snapshot or Snapshot spec: file path or inline JSON/YAML.")
@click.option(
    "--snapshot",
    help="A Snapshot resource in the cluster ([NAMESPACE/]NAME) or an inline Snapshot spec.",
)
@click.option("--file-path", "-f", hidden=True, help="DEPRECATED: use --images (a spec file).")
@click.option("--json-input", "-j", hidden=True, help="DEPRECATED: use --images (inline spec).")
@click.option("--policy", "-p", "policy_ref", required=True, help="EnterpriseContractPolicy.")
@click.option("--public-key", "-k", help="Public key (PEM file or inline) signatures must match.")
@click.option("--certificate-identity", help="Keyless: expected certificate identity (SAN).")
@click.option("--certificate-identity-regexp", help="Keyless: identity regular expression.")
@click.option("--certificate-oidc-issuer", help="Keyless: expected OIDC issuer.")
@click.option("--certificate-oidc-issuer-regexp", help="Keyless: issuer regular expression.")
@click.option("--trusted-root", type=click.Path(dir_okay=False), help="sigstore TrustedRoot JSON.")
@click.option("--rekor-url", help="Rekor URL recorded in the policy's sigstore options.")
@click.option("--rekor-public-key", help="Rekor public key (PEM file or inline) for bundles.")
@click.option("--ignore-rekor", is_flag=True, help="Do not check Rekor bundles.")
@click.option("--skip-image-sig-check", is_flag=True, help="Do not verify image signatures.")
@click.option(
    "--skip-att-sig-check",
    is_flag=True,
    help="Read attestations without verifying their signatures (debugging only).",
)
@click.option(
    "--output",
    "-o",
    "outputs",
    multiple=True,
    metavar="FORMAT[=PATH][?show-successes=BOOL]",
    help=f"Repeatable: {', '.join(IMAGE_FORMATS)}. Default text.",
)
@click.option("--strict/--no-strict", default=True, show_default=True)
@click.option(
    "--effective-time", default="now", show_default=True, help="now, attestation, RFC3339, date."
)
@click.option("--allow-past-effective-time", is_flag=True)
@click.option("--extra-rule-data", multiple=True, metavar="KEY=VALUE")
@click.option("--workers", default=5, show_default=True, type=click.IntRange(1, 64))
@click.option("--info", is_flag=True, help="Include all rule metadata in the report.")
@click.option("--show-successes", is_flag=True)
@click.option("--show-warnings/--no-show-warnings", default=True, show_default=True)
@click.option("--timeout", default=300.0, show_default=True, help="Seconds for the whole run.")
@click.option("--filter-type", type=click.Choice(FILTER_TYPES), default=FILTER_TYPES[0])
@click.option(
    "--vsa-signing-key", help="Private key (cosign format): the vsa output becomes a signed DSSE."
)
@click.option("--vsa", "vsa", is_flag=True, help="Write a VSA for each validated image.")
@click.option(
    "--attestation-format",
    default="dsse",
    show_default=True,
    help="VSA files as a signed DSSE envelope (dsse) or the bare statement (predicate).",
)
@click.option("--attestation-output-dir", help="Where --vsa writes (default: a new temp dir).")
@click.option(
    "--vsa-upload",
    multiple=True,
    metavar="BACKEND",
    help="Also store each VSA: local@DIR, or oci (an attestation on the image).",
)
@click.option("--vsa-public-key", help="Key stored VSAs must be signed with (--vsa-expiration).")
@click.option(
    "--vsa-expiration",
    default="168h",
    show_default=True,
    help="An image with a stored VSA younger than this is not validated again; 0: off.",
)
@click.option(
    "--policy-key", help="Public key (PEM file or inline) OCI policy bundles must be signed with."
)
@click.option("--insecure-registry", multiple=True, metavar="HOST", help="Allow plain http.")
@click.option("--retry-max-retry", default=3, show_default=True, type=int)
@click.option("--retry-duration", default=1.0, show_default=True, type=float)
@click.option("--retry-factor", default=2.0, show_default=True, type=float)
@click.option("--retry-jitter", default=0.1, show_default=True, type=float)
@click.option("--retry-max-wait", default=3.0, show_default=True, type=float)
def validate_image(**opts: Any) -> None:
    """Validate images (or a Snapshot's components) against a policy."""
    from konflux.cli import vsa as vsa_cli
    from konflux.cli.go_values import parse_duration
    from konflux.cli.main import (
        Failed,
        _emit,
        _rule_data,
        emit_error,
        emit_reports,
        parse_targets,
        stderr,
    )

    targets = parse_targets(opts["outputs"], IMAGE_FORMATS)
    try:
        vsa_expiration = parse_duration(opts["vsa_expiration"])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--vsa-expiration") from None
    problems = vsa_cli.option_errors(opts, vsa_expiration)
    if problems:
        raise Failed("\n".join(problems))
    if opts["vsa"] and opts["attestation_format"] == "predicate" and opts["vsa_signing_key"]:
        logging.getLogger("konflux.vsa").warning(
            "--vsa-signing-key is ignored for --attestation-format=predicate"
        )
    stores = vsa_cli.backends(opts["vsa_upload"])
    if not any(opts[k] for k in ("image", "images", "snapshot", "file_path", "json_input")):
        raise click.UsageError("give --image REF, --images SNAPSHOT or --snapshot NAME")
    attestation_time = opts["effective_time"].lower() == "attestation"
    try:
        when = parse_effective_time(
            "now" if attestation_time else opts["effective_time"],
            allow_past=opts["allow_past_effective_time"],
        )
        retry = RetryPolicy(
            opts["retry_max_retry"],
            opts["retry_duration"],
            opts["retry_factor"],
            opts["retry_jitter"],
            opts["retry_max_wait"],
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
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
            rekor_public_key=opts["rekor_public_key"]
            or os.environ.get("SIGSTORE_REKOR_PUBLIC_KEY"),
            ignore_rekor=opts["ignore_rekor"],
        )
        snapshot = snapshot_of(opts)
        extra_rule_data = _rule_data(opts["extra_rule_data"])
        # The report (and policy input) name the policy as the flags made it, as ec's do.
        policy.spec = with_flag_overrides(
            policy.spec,
            public_key=opts["public_key"],
            keyless_flags=keyless and not opts["public_key"],
            rekor_url=opts["rekor_url"],
            extra_rule_data=extra_rule_data,
        )
        settings = Settings(
            effective_time=when,
            extra_rule_data=extra_rule_data,
            filter_type=opts["filter_type"],
            policy_key=_read_key(opts["policy_key"]) if opts["policy_key"] else None,
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
        client = RegistryClient(
            insecure=opts["insecure_registry"], retry=retry, max_concurrency=4 * opts["workers"]
        )
        with (
            SyncRegistry(client) as registry,
            Progress(console=stderr, transient=True, disable=not stderr.is_terminal) as bar,
        ):
            # ec --vsa-expiration: images whose stored VSA is still valid are not validated.
            vsa_public = public_key_text(opts["vsa_public_key"]) if opts["vsa_public_key"] else ""
            skipped = vsa_cli.reusable(
                snapshot, policy, stores=stores, public_key_pem=vsa_public,
                expiration=vsa_expiration, registry=registry,
            )  # fmt: skip
            snapshot.components = [c for c in snapshot.components if c.name not in skipped]
            task = bar.add_task("Validating", total=len(snapshot.components))
            validator = SnapshotValidator(policy, settings, registry, checks)
            # The run goes on a worker so the deadline holds; on timeout it is abandoned and
            # closing the registry cancels its in-flight requests.
            runner = concurrent.futures.ThreadPoolExecutor(1)
            future = runner.submit(
                validator.validate,
                snapshot,
                info=opts["info"],
                show_successes=opts["show_successes"],
                show_warnings=opts["show_warnings"],
                progress=lambda: bar.advance(task),
            )
            try:
                report = future.result(timeout=opts["timeout"])
            except concurrent.futures.TimeoutError:
                raise KonfluxError(
                    f"validation did not finish within --timeout {opts['timeout']:g}s"
                ) from None
            finally:
                runner.shutdown(wait=False, cancel_futures=True)
            report.targets += [vsa_cli.skipped_target(n, image) for n, image in skipped.items()]
            vsa_key = private_key(opts["vsa_signing_key"]) if opts["vsa_signing_key"] else None
            if opts["vsa"]:
                vsa_cli.generate(report, opts, stores, key=vsa_key, registry=registry)
            elif vsa_key is not None and any(b.kind == "oci" for b in stores):
                upload_vsas(registry, report, vsa_key)
    except KonfluxError as exc:
        emit_error(targets, "validating image", exc)
        raise Failed(str(exc)) from None
    signed = [t for t in targets if t.format == "vsa" and opts["vsa_signing_key"]]
    emit_reports(report, [t for t in targets if t not in signed], per_target_options=True)
    for t in signed:
        _emit(signed_vsa(report, vsa_key) + "\n", t.path)
    if opts["strict"] and not report.success:
        raise Failed("success criteria not met")
