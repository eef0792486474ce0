"""kopf's login from our configuration: the operators' watches use the same TLS and credentials.

`KopfLogin` is a `@kopf.on.login` handler. It answers a `kopf.ConnectionInfo`
carrying what kopf can carry (CA data, client certificate and key data, token,
username/password, proxy, default namespace, and the exec credential's
`expiration`), and builds kopf's SSL context with `konflux.kube.tls`, so
`tls-server-name` and every CA form work for kopf's session too.

kopf calls the handler again when the credentials expire or when the API
server answers 401: then a token file is re-read and an exec plugin re-run.
Credentials that did not change are answered unchanged, and kopf, which
remembers refused ones, stops with "ran out of valid credentials" instead of
retrying forever.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

import kopf

from konflux.kube.config import ClusterConfig
from konflux.kube.credentials import Authenticator, Credentials
from konflux.kube.errors import KubeConfigError
from konflux.kube.tls import ClientCertificate, TLSConfig


@dataclass(frozen=True, kw_only=True)
class KubeConnectionInfo(kopf.ConnectionInfo):
    """kopf's `ConnectionInfo` whose SSL context and headers come from our configuration."""

    kube_tls: TLSConfig | None = None
    kube_certificate: ClientCertificate | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()

    def as_ssl_context(self) -> ssl.SSLContext:
        if self.kube_tls is None:
            return super().as_ssl_context()
        return self.kube_tls.context(self.kube_certificate)

    def as_http_headers(self) -> dict[str, str]:
        return {**super().as_http_headers(), **dict(self.extra_headers)}


def connection_info(config: ClusterConfig, creds: Credentials) -> KubeConnectionInfo:
    """`config` with `creds` as kopf takes them."""
    user, cert = config.user, creds.certificate
    headers: tuple[tuple[str, str], ...] = ()
    if user.impersonate is not None and config.secure:
        headers = tuple(user.impersonate.headers())
        if len({name for name, _ in headers}) != len(headers):
            # kopf's session takes one value per header; the API server needs them repeated.
            raise KubeConfigError(
                f"{user.origin}: the operators cannot impersonate more than one group "
                "or extra value"
            )
    basic = creds.authorization is not None and creds.authorization.startswith("Basic ")
    return KubeConnectionInfo(
        server=config.server,
        ca_data=config.tls.ca_pem,
        insecure=config.tls.insecure or None,
        token=creds.token,
        username=user.username if basic else None,
        password=user.password if basic else None,
        certificate_data=cert.cert_pem if cert else None,
        private_key_data=cert.key_pem if cert else None,
        default_namespace=config.namespace,
        proxy_url=config.proxy_url,
        expiration=creds.expires,
        kube_tls=config.tls if config.secure else None,
        kube_certificate=cert,
        extra_headers=headers,
    )


class KopfLogin:
    """A `@kopf.on.login` handler for `config`: register with `registry.register(...)`."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self._auth = Authenticator(config.user, secure=config.secure)
        self._last: Credentials | None = None

    async def __call__(self, **_: Any) -> kopf.ConnectionInfo:
        try:
            if self._last is None:
                creds = await self._auth.current()
            else:  # kopf asks again: the last credentials expired or were refused
                creds = await self._auth.refreshed(self._last) or self._last
            info = connection_info(self.config, creds)
        except KubeConfigError as exc:
            raise kopf.PermanentError(str(exc)) from exc
        self._last = creds
        return info

    def register(self, registry: kopf.OperatorRegistry) -> None:
        """Make this the login of `registry`'s operator."""

        # kopf awaits coroutine functions and runs anything else in a thread: hand it one.
        async def login(**kwargs: Any) -> kopf.ConnectionInfo:
            return await self(**kwargs)

        kopf.on.login(registry=registry, id="konflux-login")(login)
