"""Reading related objects through the Kubernetes API, for the rules' `input.lookups`.

Plain aiohttp against the API server, configured from a kubeconfig or the
in-cluster service account. Reads are cached briefly (admission bursts ask for
the same Application many times). A read that cannot be done becomes an
`{"error": ...}` entry: the rules decide what that means (they deny, naming it).
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import ssl
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import yaml

from konflux.webhooks.endpoints import Lookup
from konflux.webhooks.errors import ClusterConfigError
from konflux.webhooks.input_shape import without_managed_fields

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
NO_CLUSTER = (
    "no Kubernetes API configured (pass --kubeconfig, set KUBECONFIG, or run in a cluster)"
)
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


@dataclass
class ClusterConfig:
    server: str
    ssl: ssl.SSLContext | bool  # False only with insecure-skip-tls-verify
    token: str | None = None
    token_file: Path | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def auth_headers(self) -> dict[str, str]:
        token = self.token
        if self.token_file is not None:  # projected tokens rotate: read them per request
            token = self.token_file.read_text().strip()
        return {**self.headers, **({"Authorization": f"Bearer {token}"} if token else {})}


def _data_file(data: str, suffix: str) -> str:
    handle = tempfile.NamedTemporaryFile("wb", suffix=suffix, delete=False)  # noqa: SIM115
    with handle:
        handle.write(base64.b64decode(data))
    return handle.name


def from_kubeconfig(path: Path) -> ClusterConfig:
    """The current context of a kubeconfig file: server, CA, client certificate or token."""
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ClusterConfigError(f"cannot read kubeconfig {path}: {exc}") from None

    if not isinstance(doc, dict):
        raise ClusterConfigError(f"kubeconfig {path}: not a kubeconfig document")

    def named(section: str, name: str) -> dict[str, Any]:
        for item in (doc or {}).get(section) or []:
            if item.get("name") == name:
                return item.get(section[:-1]) or {}
        raise ClusterConfigError(f"kubeconfig {path}: no {section[:-1]} named {name!r}")

    try:
        context = named("contexts", doc.get("current-context", ""))
        cluster = named("clusters", context.get("cluster", ""))
        user = named("users", context.get("user", "")) if context.get("user") else {}
    except AttributeError:
        raise ClusterConfigError(f"kubeconfig {path}: not a kubeconfig document") from None
    server = cluster.get("server")
    if not isinstance(server, str) or not server.startswith(("https://", "http://")):
        raise ClusterConfigError(f"kubeconfig {path}: cluster has no http(s) server URL")
    base = path.parent
    context_ssl: ssl.SSLContext | bool = ssl.create_default_context()
    try:
        if cluster.get("insecure-skip-tls-verify"):
            context_ssl = False
        elif cluster.get("certificate-authority-data"):
            context_ssl = ssl.create_default_context(
                cadata=base64.b64decode(cluster["certificate-authority-data"]).decode()
            )
        elif cluster.get("certificate-authority"):
            context_ssl = ssl.create_default_context(
                cafile=str(base / cluster["certificate-authority"])
            )
        cert = user.get("client-certificate") or (
            user.get("client-certificate-data")
            and _data_file(user["client-certificate-data"], ".crt")
        )
        key = user.get("client-key") or (
            user.get("client-key-data") and _data_file(user["client-key-data"], ".key")
        )
        if cert and key and isinstance(context_ssl, ssl.SSLContext):
            context_ssl.load_cert_chain(str(base / cert), str(base / key))
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ClusterConfigError(f"kubeconfig {path}: cannot load TLS material: {exc}") from None
    token_file = Path(base / user["tokenFile"]) if user.get("tokenFile") else None
    return ClusterConfig(server.rstrip("/"), context_ssl, user.get("token"), token_file)


def in_cluster() -> ClusterConfig | None:
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    port = os.environ.get("KUBERNETES_SERVICE_PORT")
    if not host or not port or not (SERVICE_ACCOUNT / "token").exists():
        return None
    context = ssl.create_default_context(cafile=str(SERVICE_ACCOUNT / "ca.crt"))
    host = f"[{host}]" if ":" in host else host
    return ClusterConfig(f"https://{host}:{port}", context, token_file=SERVICE_ACCOUNT / "token")


def discover(kubeconfig: str | None) -> ClusterConfig | None:
    """--kubeconfig, else $KUBECONFIG, else in-cluster, else None (lookups then fail closed)."""
    path = kubeconfig or os.environ.get("KUBECONFIG")
    if path:
        return from_kubeconfig(Path(path))
    return in_cluster()


class KubeReader:
    """GET and LIST through the API server with a short-lived cache of answers (not of errors)."""

    def __init__(
        self,
        config: ClusterConfig | None,
        *,
        ttl: float = 5.0,
        timeout: float = 3.0,
        max_entries: int = 2048,
        managed_fields: bool = True,
    ):
        self.config, self.ttl, self.timeout, self.max_entries = config, ttl, timeout, max_entries
        self.managed_fields = managed_fields  # False: answers drop metadata.managedFields
        self._cache: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _get(self, path: str) -> tuple[int, Any]:
        assert self.config is not None
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                connector=aiohttp.TCPConnector(ssl=self.config.ssl, limit=32),
            )
        headers = {"Accept": "application/json", **self.config.auth_headers()}
        async with self._session.get(self.config.server + path, headers=headers) as resp:
            body = await resp.json(content_type=None) if resp.status in (200, 404) else None
            if resp.status not in (200, 404):
                text = (await resp.text())[:200]
                return resp.status, text
            return resp.status, body

    def _kept(self, obj: Any) -> Any:
        """`obj` as the rules get it: without managedFields unless they read them."""
        return obj if self.managed_fields else without_managed_fields(obj)

    def cached(self, path: str) -> dict[str, Any] | None:
        """The cached answer for `path` if it is still fresh."""
        cached = self._cache.get(path)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        return None

    async def read(self, path: str, *, listing: bool = False) -> dict[str, Any]:
        """`{"found": bool, "object": ...}` (GET), `{"items": [...]}` (LIST) or `{"error": ...}`."""
        if (cached := self.cached(path)) is not None:
            return cached
        if self.config is None:
            return {"error": NO_CLUSTER}
        try:
            status, body = await self._get(path)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            return {"error": f"Kubernetes API read {path} failed: {type(exc).__name__}: {exc}"}
        if status == 404 and listing:
            return {"error": f"the Kubernetes API does not serve {path} (CRD not installed?)"}
        if status == 404:
            result: dict[str, Any] = {"found": False}
        elif status != 200 or not isinstance(body, dict):
            return {"error": f"Kubernetes API read {path} answered HTTP {status}: {body}"}
        elif listing:
            items = body.get("items")
            items = items if isinstance(items, list) else []
            result = {"items": [self._kept(item) for item in items]}
        else:
            result = {"found": True, "object": self._kept(body)}
        self._cache[path] = (time.monotonic() + self.ttl, result)
        self._cache.move_to_end(path)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return result


def lookup_path(lookup: Lookup, namespace: str, name: str = "") -> str:
    base = f"/apis/{lookup.group}/{lookup.version}/namespaces/{quote(namespace, safe='')}/"
    base += lookup.plural
    return f"{base}/{quote(name, safe='')}" if name else base


async def gather(
    lookups: tuple[Lookup, ...], request: dict[str, Any], reader: KubeReader
) -> dict[str, Any]:
    """Run the endpoint's lookups for one request, concurrently; never raises."""
    namespace = request.get("namespace")
    obj = request.get("object")
    spec = obj.get("spec") if isinstance(obj, dict) else None
    spec = spec if isinstance(spec, dict) else {}
    out: dict[str, Any] = {}
    jobs: dict[str, Any] = {}
    # Fresh cached answers are taken here: most requests then need no task at all.
    for lookup in lookups:
        if not isinstance(namespace, str) or not _NAME.match(namespace):
            out[lookup.key] = {"error": f"request namespace {namespace!r} is not a valid name"}
            continue
        if lookup.verb == "get":
            name = spec.get(lookup.name_field)
            if not isinstance(name, str) or not name:
                continue  # nothing named, nothing to read: the rules see no entry
            if not _NAME.match(name):
                out[lookup.key] = {"name": name, "found": False}
                continue
            path = lookup_path(lookup, namespace, name)
            if (hit := reader.cached(path)) is not None:
                out[lookup.key] = {**hit, "name": name}
            else:
                jobs[lookup.key] = (name, reader.read(path))
        else:
            path = lookup_path(lookup, namespace)
            if (hit := reader.cached(path)) is not None:
                out[lookup.key] = hit
            else:
                jobs[lookup.key] = (None, reader.read(path, listing=True))
    if jobs:
        results = await asyncio.gather(*(job for _, job in jobs.values()))
        for (key, (name, _)), result in zip(jobs.items(), results, strict=True):
            out[key] = {**result, **({"name": name} if name else {})}
    return out
