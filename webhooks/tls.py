"""TLS for the webhook: a TLS 1.2+ server context whose certificate is reloaded when it changes.

cert-manager and `konflux webhook certs` rotate the files in place; the
reloader loads the new pair into the same `SSLContext` (new handshakes use it,
open connections keep theirs), so no restart is needed. A half-written pair
(key and certificate not matching yet) keeps the previous one until the next
check.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from pathlib import Path

from konflux.webhooks.errors import CertificateError

log = logging.getLogger("konflux.webhooks")


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    _load(context, cert, key)
    return context


def _load(context: ssl.SSLContext, cert: Path, key: Path) -> None:
    try:
        context.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as exc:
        raise CertificateError(
            f"cannot load TLS certificate {cert} with key {key}: {exc}"
        ) from None


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class CertReloader:
    """Watches a certificate/key pair and reloads it into `context` when either file changes."""

    def __init__(self, context: ssl.SSLContext, cert: Path, key: Path, interval: float = 2.0):
        self.context, self.cert, self.key, self.interval = context, cert, key, interval
        self._stamps = (_stamp(cert), _stamp(key))
        self.reloads = 0

    def check(self) -> bool:
        """Reload if the files changed; True when a new pair was loaded."""
        stamps = (_stamp(self.cert), _stamp(self.key))
        if stamps == self._stamps:
            return False
        try:
            _load(self.context, self.cert, self.key)
        except CertificateError as exc:
            log.warning("certificate reload deferred: %s", exc)
            return False
        self._stamps = stamps
        self.reloads += 1
        log.info("reloaded TLS certificate %s", self.cert)
        return True

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.check()
