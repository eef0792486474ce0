"""Starting the console: on a cluster (`console serve`) or an emulated one (`dev simulate`)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class LocalConsole:
    """A console served over an emulated cluster, and the token that logs in as its admin."""

    url: str
    token: str
    user: str

    @property
    def login_hint(self) -> str:
        return f"console: {self.url}  (log in as {self.user} with the token {self.token})"


@asynccontextmanager
async def local_console(
    cluster: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    user: str = "developer",
) -> AsyncIterator[LocalConsole]:
    """Serve the console over a `LocalCluster` (TokenReview and RBAC answered by its emulator).

    `user` gets a fresh token and the cluster-admin group; the console reads with a client
    that has no credentials, which the emulator lets do anything (like the controllers).
    """
    from konflux.controllers.emulator_auth import ApiServerAuth, UserInfo
    from konflux.kube.client import KubeClient

    auth = cluster.api.auth or ApiServerAuth.install(cluster.api)
    token = secrets.token_urlsafe(24)
    auth.add_token(token, UserInfo(user, ("system:masters",)))
    # A connection per request, as LocalCluster's own client: kmock drops idle connections.
    client = KubeClient(cluster.config, keepalive=False)
    access = ClusterAccess(client, read_ttl=0.5, review_ttl=5.0)
    app = make_app(access, RuleCatalogue(allow_local=True), secure=False, poll_ms=1500)
    runner = await start(app, host, port)
    bound = runner.addresses[0][1] if port == 0 else port
    try:
        yield LocalConsole(f"http://{host}:{bound}/", token, user)
    finally:
        await runner.cleanup()


def simulation_console(
    port: int, log: Callable[[str], None], until_stopped: Callable[[], Awaitable[None]]
) -> Callable[[Any], Any]:
    """The `dev simulate --console` hook: serve while the flow runs, then until stopped."""
    from konflux.console.views import release_badge
    from konflux.controllers import constants as c

    @asynccontextmanager
    async def hook(cluster: Any) -> AsyncIterator[None]:
        async with local_console(cluster, port=port) as served:
            log(served.login_hint)
            yield
            for release in cluster.api.live(c.RELEASE):
                state = release_badge(release)
                name = release["metadata"]["name"]
                log(f"console: Release {name} {state.word.lower()}: {state.detail}".rstrip(": "))
            log(f"console: the flow finished; still serving {served.url} (Ctrl-C stops)")
            await until_stopped()

    return hook
