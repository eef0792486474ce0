"""TLS to the API server: one SSL context builder for our client and for kopf's login.

Covers what a kubeconfig cluster and user can say about TLS: the CA (file or
data), `insecure-skip-tls-verify`, `tls-server-name` (the name verified and sent
as SNI instead of the URL's host, as client-go's `ServerName`), and a client
certificate with its key (from files, data fields or an exec plugin).
"""

from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from konflux.kube.errors import KubeConfigError


class _ServerNameContext(ssl.SSLContext):
    """An SSL context that verifies, and sends as SNI, a fixed server name when one is set.

    asyncio (and so aiohttp) passes the URL's host to `wrap_bio`; kubeconfig's
    `tls-server-name` must replace it for both SNI and the certificate check, and
    this works for every client built on the context, kopf's included.
    """

    server_name: str | None = None

    def wrap_bio(  # type: ignore[override]
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLObject:
        name = self.server_name or server_hostname
        return super().wrap_bio(incoming, outgoing, server_side, name, session)

    def wrap_socket(self, sock: Any, *args: Any, **kwargs: Any) -> ssl.SSLSocket:  # type: ignore[override]
        if self.server_name:
            kwargs["server_hostname"] = self.server_name
        return super().wrap_socket(sock, *args, **kwargs)


@dataclass(frozen=True)
class ClientCertificate:
    """A PEM client certificate (chain) and its PEM private key; `origin` names their source."""

    cert_pem: bytes
    key_pem: bytes
    origin: str

    def __repr__(self) -> str:  # never print a private key
        return f"ClientCertificate(origin={self.origin!r})"


@dataclass(frozen=True)
class TLSConfig:
    """How to check the API server's certificate; `ca_origin` names the CA's source."""

    ca_pem: bytes | None = None
    ca_origin: str = ""
    insecure: bool = False
    server_name: str | None = None

    def context(self, certificate: ClientCertificate | None = None) -> ssl.SSLContext:
        """A client SSL context; a bad CA or client certificate is a `KubeConfigError`."""
        ctx = _ServerNameContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.server_name = self.server_name
        if self.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif self.ca_pem:
            try:
                ctx.load_verify_locations(cadata=self.ca_pem.decode("ascii"))
            except (ssl.SSLError, UnicodeDecodeError, ValueError) as exc:
                raise KubeConfigError(
                    f"{self.ca_origin}: not a PEM CA certificate ({_reason(exc)})"
                ) from None
        else:
            ctx.load_default_certs()
        if certificate is not None:
            _load_certificate(ctx, certificate)
        return ctx


def _reason(exc: BaseException) -> str:
    return getattr(exc, "reason", None) or str(exc) or type(exc).__name__


def _load_certificate(ctx: ssl.SSLContext, certificate: ClientCertificate) -> None:
    # Python's ssl loads a certificate and key only from files: write them to a private
    # directory for the moment of loading (as kopf does), then remove them.
    with tempfile.TemporaryDirectory(prefix="konflux-kube-") as tmp:
        cert, key = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
        cert.write_bytes(certificate.cert_pem)
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(certificate.key_pem)
        try:
            ctx.load_cert_chain(str(cert), str(key))
        except (ssl.SSLError, ValueError) as exc:
            raise KubeConfigError(
                f"{certificate.origin}: cannot use the client certificate and key "
                f"({_reason(exc)}; both must be PEM and belong together)"
            ) from None
