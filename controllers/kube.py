"""The Kubernetes I/O edge: a small async REST client, and applying `Actions`.

It reuses kopf's `ConnectionInfo` (the same login kopf uses for its watches) and kopf's
HTTP stack (aiohttp), so one credential source serves both and no second event loop or
thread pool is needed. Creates are keyed: a 409 Conflict means the object already exists,
which is the expected outcome of a replayed event, never an error.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import aiohttp
import kopf

from konflux.controllers.constants import Resource
from konflux.controllers.errors import KubeApiError
from konflux.controllers.objects import Actions, Obj


def resource_path(
    resource: Resource, namespace: str | None = None, name: str | None = None, status: bool = False
) -> str:
    base = f"/apis/{resource.group}/{resource.version}" if resource.group else "/api/v1"
    if resource.namespaced and namespace:
        base += f"/namespaces/{namespace}"
    base += f"/{resource.plural}"
    if name:
        base += f"/{name}"
        if status:
            base += "/status"
    return base


def _ssl_context(info: kopf.ConnectionInfo) -> ssl.SSLContext | bool:
    if not info.server.startswith("https"):
        return False
    if info.insecure:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    cadata = info.ca_data.decode() if isinstance(info.ca_data, bytes) else info.ca_data
    ctx = ssl.create_default_context(cafile=info.ca_path, cadata=cadata)  # type: ignore[arg-type]
    if info.certificate_path:
        ctx.load_cert_chain(info.certificate_path, info.private_key_path)  # type: ignore[arg-type]
    return ctx


class KubeClient:
    """get/list/create/patch/delete over the Kubernetes REST API."""

    def __init__(self, info: kopf.ConnectionInfo) -> None:
        self.info = info
        self._session: aiohttp.ClientSession | None = None

    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            headers = {}
            if self.info.token:
                headers["Authorization"] = f"{self.info.scheme or 'Bearer'} {self.info.token}"
            # No keep-alive: a pooled connection the server dropped while idle (seen with the
            # emulator across operator restarts) would hang the next request.
            self._session = aiohttp.ClientSession(
                base_url=self.info.server.rstrip("/") + "/",
                headers=headers,
                connector=aiohttp.TCPConnector(ssl=_ssl_context(self.info), force_close=True),
                timeout=aiohttp.ClientTimeout(total=60),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        http = await self._http()
        data = None if body is None else json.dumps(body)
        async with http.request(
            method,
            path.lstrip("/"),
            data=data,
            params=params,
            headers={"Content-Type": content_type},
        ) as resp:
            text = await resp.text()
            if resp.status >= 400 and resp.status not in (404, 409):
                raise KubeApiError(method, path, resp.status, text)
            return resp.status, (json.loads(text) if text else None)

    async def get(self, resource: Resource, namespace: str | None, name: str) -> Obj | None:
        status, obj = await self._request("GET", resource_path(resource, namespace, name))
        return None if status == 404 else obj

    async def list(
        self, resource: Resource, namespace: str | None = None, labels: dict[str, str] | None = None
    ) -> list[Obj]:
        params = (
            {"labelSelector": ",".join(f"{k}={v}" for k, v in labels.items())} if labels else None
        )
        status, obj = await self._request("GET", resource_path(resource, namespace), params=params)
        return [] if status == 404 else list((obj or {}).get("items") or [])

    async def create(self, resource: Resource, body: Obj) -> Obj | None:
        """The created object, or None when one with that name exists already."""
        ns = (body.get("metadata") or {}).get("namespace")
        status, obj = await self._request("POST", resource_path(resource, ns), body=body)
        if status == 404:
            raise KubeApiError("POST", resource_path(resource, ns), 404, json.dumps(obj))
        return None if status == 409 else obj

    async def patch(
        self, resource: Resource, namespace: str | None, name: str, patch: Obj, status: bool = False
    ) -> Obj | None:
        code, obj = await self._request(
            "PATCH",
            resource_path(resource, namespace, name, status),
            body=patch,
            content_type="application/merge-patch+json",
        )
        return None if code == 404 else obj

    async def delete(self, resource: Resource, namespace: str | None, name: str) -> bool:
        code, _ = await self._request("DELETE", resource_path(resource, namespace, name))
        return code != 404

    async def apply(self, actions: Actions) -> list[Obj]:
        """Creates, then patches, then deletes; returns the objects actually created."""
        created = []
        for create in actions.creates:
            obj = await self.create(create.resource, create.body)
            if obj is not None:
                created.append(obj)
        for p in actions.patches:
            await self.patch(p.resource, p.namespace, p.name, p.patch, p.status)
        for resource, namespace, name in actions.deletes:
            await self.delete(resource, namespace, name)
        return created
