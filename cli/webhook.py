"""`konflux webhook`: run the admission webhook service, or make certificates for it."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import click

from konflux.engine.errors import KonfluxError


@click.group("webhook")
def webhook() -> None:
    """Admission webhooks for Konflux resources, decided by a Rego bundle."""


@webhook.command("serve")
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Serving certificate (PEM); reloaded when it changes.",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Serving key (PEM); reloaded when it changes.",
)
@click.option("--port", type=int, default=8443, show_default=True)
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option(
    "--policy",
    "policy",
    default=None,
    help="EnterpriseContractPolicy whose sources hold the admission rules.",
)
@click.option(
    "--bundle",
    default=None,
    help="Directory (or oci::REF) of admission rules; default: the shipped rego/admission.",
)
@click.option(
    "--kubeconfig",
    default=None,
    help="Kubeconfig for lookups; default: $KUBECONFIG, then in-cluster, then ~/.kube/config.",
)
@click.option("--context", default=None, help="Kubeconfig context; default: current-context.")
@click.option(
    "--workers",
    type=int,
    default=2,
    show_default=True,
    help="Evaluator threads (one OPA engine each); requests queued meanwhile are batched.",
)
@click.option(
    "--timeout",
    type=float,
    default=8.0,
    show_default=True,
    help="Per-request deadline in seconds (keep it below the API server's timeoutSeconds).",
)
@click.option(
    "--max-body",
    type=int,
    default=3 * 1024 * 1024,
    show_default=True,
    help="Largest accepted request body in bytes.",
)
@click.option(
    "--cache-ttl",
    type=float,
    default=5.0,
    show_default=True,
    help="Seconds a Kubernetes lookup answer is reused.",
)
def serve_cmd(
    tls_cert: Path,
    tls_key: Path,
    port: int,
    host: str,
    policy: str | None,
    bundle: str | None,
    kubeconfig: str | None,
    context: str | None,
    workers: int,
    timeout: float,
    max_body: int,
    cache_ttl: float,
) -> None:
    """Serve /validate-* and /mutate-* AdmissionReview endpoints over HTTPS."""
    from konflux.webhooks import jsonlog
    from konflux.webhooks.server import WebhookConfig, serve

    jsonlog.configure()
    config = WebhookConfig(
        tls_cert=tls_cert,
        tls_key=tls_key,
        host=host,
        port=port,
        bundle=bundle,
        policy=policy,
        kubeconfig=kubeconfig,
        context=context,
        workers=workers,
        timeout=timeout,
        max_body=max_body,
        cache_ttl=cache_ttl,
    )
    try:
        serve(config)
    except KonfluxError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


@webhook.command("certs")
@click.option(
    "--dns",
    "names",
    multiple=True,
    required=True,
    help="DNS name (or IP) of the webhook Service; repeat for more.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory for ca.crt, ca.key, tls.crt, tls.key.",
)
@click.option("--days", type=int, default=365, show_default=True)
def certs_cmd(names: tuple[str, ...], out: Path, days: int) -> None:
    """Generate a CA and a serving certificate (for clusters without cert-manager).

    Prints the CA bundle (base64) on stdout, ready for the webhook configurations' caBundle.
    """
    from konflux.webhooks.certs import generate

    try:
        files = generate(out, list(names), days)
    except KonfluxError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"wrote {files.ca_cert}, {files.ca_key}, {files.cert}, {files.key}", err=True)
    click.echo(base64.b64encode(files.ca_cert.read_bytes()).decode())
