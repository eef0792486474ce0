"""Starting the console on a cluster (`console serve`); over the emulator: `konflux.testing`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from konflux.console.access import ClusterAccess
from konflux.console.catalogue import RuleCatalogue
from konflux.console.server import make_app, start
from konflux.console.session import SessionSealer
from konflux.engine.sigstore.keys import PublicKey


async def serve_forever(
    *,
    kubeconfig: str | None,
    context: str | None,
    host: str,
    port: int,
    tls: tuple[str, str] | None,
    session_key_file: str | None,
    read_ttl: float,
    review_ttl: float,
    allow_local_sources: bool,
    announce: Callable[[str], None],
    until_stopped: Callable[[], Awaitable[None]],
    vsa_keys: tuple[PublicKey, ...] = (),
) -> None:
    from konflux.kube.client import KubeClient
    from konflux.kube.config import load_config

    access = ClusterAccess(
        KubeClient(load_config(kubeconfig, context)), read_ttl=read_ttl, review_ttl=review_ttl
    )
    sealer = SessionSealer.from_file(session_key_file) if session_key_file else SessionSealer()
    app = make_app(
        access,
        RuleCatalogue(allow_local=allow_local_sources),
        sealer=sealer,
        secure=tls is not None,
        vsa_keys=vsa_keys,
    )
    context, reloader = None, None
    if tls:
        # The webhook's TLS: TLS 1.2+, and the pair reloaded when cert-manager rotates it.
        from pathlib import Path

        from konflux.webhooks.tls import CertReloader, server_context

        context = server_context(Path(tls[0]), Path(tls[1]))
        reloader = asyncio.create_task(CertReloader(context, Path(tls[0]), Path(tls[1])).run())
    runner = await start(app, host, port, context)
    announce(f"console: serving on {'https' if tls else 'http'}://{host}:{port}/")
    try:
        await until_stopped()
    finally:
        if reloader is not None:
            reloader.cancel()
        await runner.cleanup()
