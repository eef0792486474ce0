"""The one async Kubernetes client: get, list, create, patch and delete over the REST API.

Built on aiohttp from a `ClusterConfig`, so every kubeconfig form works the
same for every caller: TLS from `konflux.kube.tls`, credentials from
`konflux.kube.credentials`, fetched per request (a rotated token file or an
expired exec credential is picked up without a restart). A 401 re-runs the
exec plugin (or re-reads the token file) and retries once: the API server did
not act on a request it did not authenticate. Errors are typed and name the
verb, the resource and what to fix (`konflux.kube.errors`).

Keyed creates: a 409 Conflict on create means the object exists already, the
expected outcome of a replayed event, and is answered with None, never raised.
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any

import aiohttp

from konflux import __version__
from konflux.kube.config import ClusterConfig
from konflux.kube.credentials import Authenticator, Credentials
from konflux.kube.errors import (
    Forbidden,
    KubeApiError,
    KubeConnectionError,
    KubeError,
    NotFound,
    Unauthorized,
    permission,
    target,
)
from konflux.kube.resources import Resource, addressable
from konflux.kube.tls import ClientCertificate

Obj = dict[str, Any]
What = tuple[str, Resource, str | None, str | None, str]  # verb, resource, ns, name, subresource
_METHODS = {"get": "GET", "list": "GET", "create": "POST", "patch": "PATCH", "delete": "DELETE"}
MERGE_PATCH = "application/merge-patch+json"


class KubeClient:
    """get/list/create/patch/delete of objects as plain dicts; one aiohttp session, pooled."""

    def __init__(
        self,
        config: ClusterConfig,
        *,
        timeout: float = 60.0,
        connections: int = 32,
        keepalive: bool = True,
    ) -> None:
        self.config = config
        self.timeout = timeout
        self._auth = Authenticator(config.user, secure=config.secure)
        self._connections, self._keepalive = connections, keepalive
        self._session: aiohttp.ClientSession | None = None
        self._certificate: ClientCertificate | None = None
        self._retired: list[aiohttp.ClientSession] = []

    async def __aenter__(self) -> KubeClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        for session in [*self._retired, self._session]:
            if session is not None:
                await session.close()
        self._session, self._retired = None, []

    def _http(self, creds: Credentials) -> aiohttp.ClientSession:
        """The session whose TLS context carries `creds`' client certificate."""
        session = self._session
        if session is not None and not session.closed and creds.certificate == self._certificate:
            return session
        if session is not None:
            # An exec plugin rotated the client certificate: new connections from now on; the
            # old session may still serve requests in flight, so it is closed at close().
            self._retired.append(session)
        ssl = self.config.tls.context(creds.certificate) if self.config.secure else False
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                ssl=ssl, limit=self._connections, force_close=not self._keepalive
            ),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            headers={"User-Agent": f"konflux/{__version__}", "Accept": "application/json"},
        )
        self._certificate = creds.certificate
        return self._session

    async def request(
        self,
        verb: str,
        resource: Resource,
        namespace: str | None = None,
        name: str | None = None,
        *,
        subresource: str = "",
        params: dict[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        """(status, parsed body) of one API request; 401 and 403 raise, other statuses return."""
        what: What = (verb, resource, namespace, name, subresource)
        try:
            url = self.config.server + resource.path(namespace, name, subresource or None)
        except ValueError as exc:
            raise KubeError(f"cannot {target(*what)}: {exc}") from None
        creds = await self._auth.current()
        status, doc = await self._send(what, url, creds, params, body, content_type)
        if status == 401:
            fresh = await self._auth.refreshed(creds)
            if fresh is not None:
                creds = fresh
                status, doc = await self._send(what, url, creds, params, body, content_type)
        if status in (401, 403):
            raise self.error(what, status, doc)
        return status, doc

    async def _send(
        self,
        what: What,
        url: str,
        creds: Credentials,
        params: dict[str, str] | None,
        body: Any,
        content_type: str,
    ) -> tuple[int, Any]:
        headers: list[tuple[str, str]] = []
        if creds.authorization:
            headers.append(("Authorization", creds.authorization))
        if self.config.user.impersonate is not None and self.config.secure:
            headers += self.config.user.impersonate.headers()
        data = None
        if body is not None:
            data = json.dumps(body)
            headers.append(("Content-Type", content_type))
        try:
            http = self._http(creds)
            async with http.request(
                _METHODS[what[0]],
                url,
                params=params,
                data=data,
                headers=headers,
                proxy=self.config.proxy_url,
            ) as resp:
                text = await resp.text()
                status = resp.status
        except TimeoutError:
            raise self._unreachable(what, f"no answer within {self.timeout:g}s") from None
        except aiohttp.ClientConnectorCertificateError as exc:
            raise self._unreachable(what, _untrusted(exc, self.config)) from None
        except (aiohttp.ClientSSLError, aiohttp.ClientConnectorSSLError) as exc:
            raise self._unreachable(what, f"TLS handshake failed: {_ssl_reason(exc)}") from None
        except aiohttp.ClientConnectorError as exc:
            reason = exc.os_error.strerror or str(exc)
            raise self._unreachable(what, f"cannot connect: {reason}") from None
        except aiohttp.ClientError as exc:
            raise self._unreachable(what, f"{type(exc).__name__}: {_ssl_reason(exc)}") from None
        try:
            return status, (json.loads(text) if text else None)
        except ValueError:
            return status, text

    def _unreachable(self, what: What, detail: str) -> KubeConnectionError:
        return KubeConnectionError(
            f"cannot {target(*what)}: the API server {self.config.server} ({self.config.origin}): "
            f"{detail}"
        )

    def error(self, what: What, status: int, doc: Any) -> KubeApiError:
        """The typed error for an error answer to `what`."""
        verb, resource, namespace, name, sub = what
        message = reason = ""
        if isinstance(doc, dict):
            message, reason = str(doc.get("message") or ""), str(doc.get("reason") or "")
        elif doc:
            message = str(doc)[:300]
        kind: type[KubeApiError] = KubeApiError
        detail = ""
        if status == 401:
            kind = Unauthorized
            method, origin = self.config.user.method, self.config.origin
            if method == "no credentials":
                detail = f"unauthorized: no credentials configured ({origin})"
            elif not self.config.secure:
                detail = f"unauthorized: credentials are never sent over plain http ({origin})"
            else:
                detail = f"unauthorized: the API server refused the {method} (from {origin})"
        elif status == 403:
            kind = Forbidden
            detail = f"forbidden (needs {permission(verb, resource, namespace, sub)})"
        elif status == 404:
            kind = NotFound
            if verb == "list" or reason not in ("NotFound", ""):
                detail = (
                    f"not found: the API server does not serve {resource.qualified} "
                    f"{resource.version} (is its CRD installed?)"
                )
        return kind(
            verb, resource, namespace, name, status, message,
            subresource=sub, reason=reason, detail=detail,
        )  # fmt: skip

    def _raise_for(self, what: What, status: int, doc: Any, *ok: int) -> None:
        if status >= 400 and status not in ok:
            raise self.error(what, status, doc)

    # --- the verbs ---------------------------------------------------------------------------

    async def get(self, resource: Resource, namespace: str | None, name: str) -> Obj | None:
        """The object, or None when it does not exist (or no object can have that name)."""
        if not _names_object(resource, namespace, name):
            return None  # e.g. a tenant's spec naming "" or "..": nothing to read
        status, doc = await self.request("get", resource, namespace, name)
        self._raise_for(("get", resource, namespace, name, ""), status, doc, 404)
        return None if status == 404 else doc

    async def list(
        self,
        resource: Resource,
        namespace: str | None = None,
        labels: dict[str, str] | None = None,
        *,
        limit: int | None = None,
    ) -> list[Obj]:
        """Objects in `namespace` (None: all namespaces) with all `labels` (equality).

        A namespace no object can be in ("" included: it never means all) has none."""
        if namespace is not None and not addressable(namespace):
            return []
        params = {}
        if labels:
            params["labelSelector"] = ",".join(f"{k}={v}" for k, v in labels.items())
        if limit:
            params["limit"] = str(limit)
        status, doc = await self.request("list", resource, namespace, params=params or None)
        self._raise_for(("list", resource, namespace, None, ""), status, doc)
        items = doc.get("items") if isinstance(doc, dict) else None
        return list(items) if isinstance(items, list) else []

    async def create(self, resource: Resource, body: Obj) -> Obj | None:
        """The created object, or None when one with that name exists already (409)."""
        meta = body.get("metadata") or {}
        namespace = meta.get("namespace")
        status, doc = await self.request("create", resource, namespace, body=body)
        self._raise_for(("create", resource, namespace, meta.get("name"), ""), status, doc, 409)
        return None if status == 409 else doc

    async def patch(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        patch: Obj,
        status: bool = False,
    ) -> Obj | None:
        """JSON merge patch (of the status subresource with `status`); None when gone."""
        if not _names_object(resource, namespace, name):
            return None
        sub = "status" if status else ""
        code, doc = await self.request(
            "patch", resource, namespace, name, subresource=sub, body=patch,
            content_type=MERGE_PATCH,
        )  # fmt: skip
        self._raise_for(("patch", resource, namespace, name, sub), code, doc, 404)
        return None if code == 404 else doc

    async def delete(self, resource: Resource, namespace: str | None, name: str) -> bool:
        """True when deleted, False when it did not exist."""
        if not _names_object(resource, namespace, name):
            return False
        status, doc = await self.request("delete", resource, namespace, name)
        self._raise_for(("delete", resource, namespace, name, ""), status, doc, 404)
        return status != 404


def _names_object(resource: Resource, namespace: str | None, name: str) -> bool:
    """Whether (namespace, name) can address one object of `resource`."""
    if resource.namespaced and (namespace is None or not addressable(namespace)):
        return False
    return addressable(name)


def _ssl_reason(exc: BaseException) -> str:
    inner = getattr(exc, "os_error", None) or getattr(exc, "__cause__", None) or exc
    return getattr(inner, "reason", None) or getattr(inner, "strerror", None) or str(inner)


def _untrusted(exc: aiohttp.ClientConnectorCertificateError, config: ClusterConfig) -> str:
    reason = getattr(exc.certificate_error, "verify_message", None) or str(exc.certificate_error)
    ca = config.tls.ca_origin or "the system CA store (no certificate-authority configured)"
    hint = f"checked against {ca}"
    if config.tls.server_name:
        hint += f" for the name {config.tls.server_name!r} (tls-server-name)"
    return (
        f"the server's certificate is not trusted ({reason}); {hint}; fix "
        "certificate-authority(-data) or tls-server-name in the kubeconfig"
    )
