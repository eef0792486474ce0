"""Who a client is to the API server: a kubeconfig user's or a service account's credentials.

`UserAuth` is what the configuration says (token, tokenFile, username/password,
client certificate, exec plugin, impersonation). `Authenticator` turns it into
the `Credentials` of one request, fresh when they rotate: a token file is
re-read on every request (projected service-account tokens rotate), an exec
plugin's answer is reused until it expires or the API server refuses it.
Precedence is client-go's: a token, basic auth or client certificate in the
kubeconfig makes an exec plugin unused; a readable tokenFile wins over `token`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from konflux.kube.errors import KubeConfigError
from konflux.kube.exec_plugin import ExecConfig, ExecCredential, plugin_for
from konflux.kube.tls import ClientCertificate


@dataclass(frozen=True)
class Impersonation:
    """kubeconfig's `as`, `as-uid`, `as-groups`, `as-user-extra`: act as another user."""

    user: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def headers(self) -> list[tuple[str, str]]:
        """The Impersonate-* request headers (a header may repeat)."""
        out = [("Impersonate-User", self.user)]
        if self.uid:
            out.append(("Impersonate-Uid", self.uid))
        out += [("Impersonate-Group", g) for g in self.groups]
        for key, values in self.extra:
            out += [(f"Impersonate-Extra-{key}", v) for v in values]
        return out


@dataclass(frozen=True)
class UserAuth:
    """A user's credentials as configured; `origin` names the kubeconfig user or the pod."""

    origin: str = "no user"
    token: str | None = None
    token_file: Path | None = None
    username: str | None = None
    password: str | None = None
    certificate: ClientCertificate | None = None
    exec: ExecConfig | None = None
    impersonate: Impersonation | None = None

    def __repr__(self) -> str:  # never print a token or a password
        return f"UserAuth(origin={self.origin!r}, method={self.method!r})"

    @property
    def static(self) -> bool:
        """Whether the kubeconfig itself holds credentials (then an exec plugin is unused)."""
        return bool(self.token or self.token_file or self.username or self.certificate)

    @property
    def method(self) -> str:
        """How this user authenticates, in words, for error messages."""
        parts = []
        if self.certificate:
            parts.append("client certificate")
        if self.token_file:
            parts.append(f"token file {self.token_file}")
        elif self.token:
            parts.append("bearer token")
        if self.username:
            parts.append(f'basic auth as "{self.username}"')
        if self.exec and not self.static:
            parts.append(f"exec plugin {self.exec.command}")
        return " + ".join(parts) or "no credentials"

    @classmethod
    def parse(cls, body: dict[str, Any], origin: str, cluster_info: dict[str, Any]) -> UserAuth:
        """A kubeconfig `users[].user`, checked as kubectl's validation checks it."""

        def text(key: str) -> str | None:
            value = body.get(key)
            if value is not None and not isinstance(value, str):
                raise KubeConfigError(f"{origin}: {key} must be a string")
            return value or None

        if body.get("auth-provider") is not None:
            name = (body["auth-provider"] or {}).get("name", "?")
            raise KubeConfigError(
                f"{origin}: auth-provider {name!r} is not supported (kubectl dropped the built-in "
                "providers; use an exec credential plugin such as kubelogin)"
            )
        token, token_file = text("token"), text("tokenFile")
        username, password = text("username"), text("password")
        if token and (username or password):
            raise KubeConfigError(
                f"{origin}: more than one authentication method (token and basic auth); "
                "only one is allowed"
            )
        exec_config = (
            ExecConfig.parse(body["exec"], origin, cluster_info) if body.get("exec") else None
        )
        return cls(
            origin=origin,
            token=token,
            token_file=Path(token_file) if token_file else None,
            username=username,
            password=password,
            certificate=_certificate(body, origin, text),
            exec=exec_config,
            impersonate=_impersonation(body, origin),
        )


def _certificate(body: dict[str, Any], origin: str, text: Any) -> ClientCertificate | None:
    cert = _pem(body, "client-certificate", origin, text)
    key = _pem(body, "client-key", origin, text)
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        missing = "client-key or client-key-data" if key is None else "client-certificate(-data)"
        raise KubeConfigError(f"{origin}: a client certificate needs {missing} too")
    return ClientCertificate(cert, key, f"client certificate of {origin}")


def _pem(body: dict[str, Any], field: str, origin: str, text: Any) -> bytes | None:
    path, data = text(field), text(f"{field}-data")
    if path and data:
        raise KubeConfigError(f"{origin}: both {field} and {field}-data are set; keep one")
    if data:
        return decode_data(data, f"{field}-data", origin)
    if path:
        return read_file(path, field, origin)
    return None


def decode_data(value: str, field: str, origin: str) -> bytes:
    """A kubeconfig `*-data` field: base64 of PEM, as kubectl writes it."""
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise KubeConfigError(
            f"{origin}: {field} is not base64 (kubectl writes base64 PEM)"
        ) from None


def read_file(path: str | Path, field: str, origin: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise KubeConfigError(
            f"{origin}: cannot read {field} {path}: {exc.strerror or exc}"
        ) from None


def _impersonation(body: dict[str, Any], origin: str) -> Impersonation | None:
    user, uid = body.get("as") or "", body.get("as-uid") or ""
    groups = body.get("as-groups") or []
    extra = body.get("as-user-extra") or {}
    if not user:
        if uid or groups or extra:
            raise KubeConfigError(f"{origin}: as-uid, as-groups or as-user-extra need `as`")
        return None
    if not isinstance(groups, list) or not isinstance(extra, dict):
        raise KubeConfigError(f"{origin}: as-groups must be a list, as-user-extra a mapping")
    return Impersonation(
        str(user),
        str(uid),
        tuple(str(g) for g in groups),
        tuple((str(k), tuple(str(x) for x in (v or []))) for k, v in sorted(extra.items())),
    )


@dataclass(frozen=True)
class Credentials:
    """What one request carries: an Authorization value and/or a TLS client certificate."""

    authorization: str | None = None
    certificate: ClientCertificate | None = None
    expires: datetime | None = None
    token: str | None = None  # the bearer token inside `authorization`, for kopf
    exec_credential: ExecCredential | None = None

    def __repr__(self) -> str:  # never print a token
        return f"Credentials(certificate={self.certificate!r}, expires={self.expires!r})"


class Authenticator:
    """The current credentials of one user; see the module docstring for freshness rules."""

    def __init__(self, user: UserAuth, *, secure: bool = True) -> None:
        self.user = user
        # client-go sends credentials only over TLS: a plain-HTTP server gets none.
        self.secure = secure

    async def current(self) -> Credentials:
        user = self.user
        if not self.secure:
            return Credentials()
        if user.exec is not None and not user.static:
            return _from_exec(await plugin_for(user.exec).acredential())
        token = self._token()
        if token:
            return Credentials(f"Bearer {token}", user.certificate, token=token)
        if user.username or user.password:
            pair = f"{user.username or ''}:{user.password or ''}".encode()
            return Credentials(f"Basic {base64.b64encode(pair).decode()}", user.certificate)
        return Credentials(None, user.certificate)

    async def refreshed(self, failed: Credentials) -> Credentials | None:
        """New credentials after `failed` was refused (401), or None when nothing can change."""
        user = self.user
        if not self.secure:
            return None
        if user.exec is not None and not user.static:
            stale = failed.exec_credential
            return _from_exec(await plugin_for(user.exec).acredential(stale=stale))
        fresh = await self.current()
        return None if fresh == failed else fresh

    def _token(self) -> str | None:
        user = self.user
        if user.token_file is not None:
            try:
                return user.token_file.read_text().strip() or user.token
            except OSError as exc:
                if user.token:
                    return user.token  # client-go keeps the last token when the file fails
                raise KubeConfigError(
                    f"{user.origin}: cannot read tokenFile {user.token_file}: {exc.strerror or exc}"
                ) from None
        return user.token


def _from_exec(cred: ExecCredential) -> Credentials:
    return Credentials(
        f"Bearer {cred.token}" if cred.token else None,
        cred.certificate,
        cred.expires,
        token=cred.token,
        exec_credential=cred,
    )
