"""`konflux webhook`: run the admission webhook service, or make certificates for it."""

from __future__ import annotations

import base64
import errno
import signal
from pathlib import Path

import click

from konflux.cli import options
from konflux.cli.command import Failed, Group


@click.group("webhook", cls=Group)
def webhook() -> None:
    """Admission webhooks for Konflux resources, decided by a Rego bundle."""


@webhook.command("serve")
@options.WEBHOOK_SERVE
def serve_cmd(
    tls_cert: str,
    tls_key: str,
    port: int,
    host: str,
    policy: str | None,
    bundle: str | None,
    kubeconfig: str | None,
    context: str | None,
    workers: int,
    timeout: float,
    max_body: int,
    read_timeout: float,
    max_reading: int,
    cache_ttl: float,
) -> None:
    """Serve /validate-* and /mutate-* AdmissionReview endpoints over HTTPS.

    Logs one JSON object per line on stderr. Ctrl-C (SIGINT) or SIGTERM stops
    it after the requests in flight are answered.
    """
    from konflux.webhooks import jsonlog
    from konflux.webhooks.server import WebhookConfig, serve

    jsonlog.configure()
    config = WebhookConfig(
        tls_cert=Path(tls_cert),
        tls_key=Path(tls_key),
        host=host,
        port=port,
        bundle=bundle,
        policy=policy,
        kubeconfig=kubeconfig,
        context=context,
        workers=workers,
        timeout=timeout,
        max_body=max_body,
        read_timeout=read_timeout,
        max_reading=max_reading,
        cache_ttl=cache_ttl,
    )
    try:
        stopped_by = serve(config)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise Failed(f"cannot listen on {host}:{port}: the address is already in use") from None
        raise Failed(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    if stopped_by == signal.SIGINT:
        raise SystemExit(128 + signal.SIGINT)


@webhook.command("certs")
@options.WEBHOOK_CERTS
def certs_cmd(names: tuple[str, ...], out: str, days: int) -> None:
    """Generate a CA and a serving certificate (for clusters without cert-manager).

    Prints the CA bundle (base64) on stdout, ready for the webhook configurations' caBundle.
    """
    from konflux.webhooks.certs import generate

    files = generate(Path(out), list(names), days)
    click.echo(f"wrote {files.ca_cert}, {files.ca_key}, {files.cert}, {files.key}", err=True)
    click.echo(base64.b64encode(files.ca_cert.read_bytes()).decode())
