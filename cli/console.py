"""`konflux console serve`: the read-only web console (flags here; the rest in konflux.console)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

LOOPBACK_NAMES = ("localhost",)


def _loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.group("console")
def console() -> None:
    """A read-only web console over applications, snapshots, releases and their reports."""


@console.command("serve")
@click.option(
    "--kubeconfig",
    type=click.Path(exists=True, dir_okay=False),
    help="Kubeconfig file; default: $KUBECONFIG, then in-cluster, then ~/.kube/config "
    "(docs/kubernetes.md).",
)
@click.option("--context", default=None, help="Kubeconfig context; default: current-context.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Default 8443 with TLS, else 8080.")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--plain-http",
    is_flag=True,
    help="Serve without TLS on a non-loopback address (behind a TLS-terminating proxy).",
)
@click.option(
    "--session-key-file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="32-byte key (raw or hex) sealing session cookies; share it between replicas. "
    "Default: a new key per process (restarts log everyone out).",
)
@click.option(
    "--read-ttl", type=float, default=2.0, show_default=True, help="Seconds a read is reused."
)
@click.option(
    "--review-ttl",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds a TokenReview or SubjectAccessReview answer is reused.",
)
@click.option(
    "--allow-local-sources",
    is_flag=True,
    hidden=True,
    help="Load local policy source paths (development only: they name the console's files).",
)
def serve(
    kubeconfig: str | None,
    context: str | None,
    host: str,
    port: int | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    plain_http: bool,
    session_key_file: str | None,
    read_ttl: float,
    review_ttl: float,
    allow_local_sources: bool,
) -> None:
    """Serve the console until interrupted."""
    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("give both --tls-cert and --tls-key, or neither")
    if not tls_cert and not plain_http and not _loopback(host):
        raise click.UsageError(
            f"refusing to serve bearer tokens over plain HTTP on {host}: give --tls-cert and "
            "--tls-key, or --plain-http when a TLS-terminating proxy is in front"
        )
    import asyncio

    from konflux.console.run import serve_forever
    from konflux.engine.errors import KonfluxError

    try:
        asyncio.run(
            serve_forever(
                kubeconfig=kubeconfig,
                context=context,
                host=host,
                port=port or (8443 if tls_cert else 8080),
                tls=(str(tls_cert), str(tls_key)) if tls_cert and tls_key else None,
                session_key_file=session_key_file,
                read_ttl=read_ttl,
                review_ttl=review_ttl,
                allow_local_sources=allow_local_sources,
                announce=lambda msg: click.echo(msg, err=True),
            )
        )
    except (KonfluxError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        pass
