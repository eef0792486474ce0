"""`konflux console serve`: the read-only web console (flags in options.py; the rest in
konflux.console). Not `cli/console.py`: that module is the terminal's stderr console."""

from __future__ import annotations

import errno
import ipaddress

import click

from konflux.cli import options
from konflux.cli.command import Failed, Group

LOOPBACK_NAMES = ("localhost",)


def _loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.group("console", cls=Group)
def console() -> None:
    """A read-only web console over applications, snapshots, releases and their reports."""


@console.command("serve")
@options.CONSOLE_SERVE
def serve(
    kubeconfig: str | None,
    context: str | None,
    host: str,
    port: int | None,
    tls_cert: str | None,
    tls_key: str | None,
    plain_http: bool,
    session_key_file: str | None,
    read_ttl: float,
    review_ttl: float,
    vsa_public_keys: tuple[str, ...],
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
    from konflux.engine.sigstore.keys import load_public_key

    try:
        vsa_keys = tuple(load_public_key(path) for path in vsa_public_keys)
    except KonfluxError as exc:
        raise Failed(f"--vsa-public-key: {exc}") from None
    try:
        asyncio.run(
            serve_forever(
                kubeconfig=kubeconfig,
                context=context,
                host=host,
                port=port or (8443 if tls_cert else 8080),
                tls=(tls_cert, tls_key) if tls_cert and tls_key else None,
                session_key_file=session_key_file,
                read_ttl=read_ttl,
                review_ttl=review_ttl,
                allow_local_sources=allow_local_sources,
                vsa_keys=vsa_keys,
                announce=lambda msg: click.echo(msg, err=True),
                until_stopped=until_interrupted,
            )
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise Failed(f"cannot listen on {host}:{port}: the address is already in use") from None
        raise Failed(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


async def until_interrupted() -> None:
    """Until Ctrl-C or SIGTERM: the main thread's handler (`konflux.cli.interrupt`) sets it."""
    import asyncio

    from konflux.cli import interrupt

    loop, stop = asyncio.get_running_loop(), asyncio.Event()
    with interrupt.graceful(lambda: loop.call_soon_threadsafe(stop.set)):
        await stop.wait()
