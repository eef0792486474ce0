"""Reading related objects through the Kubernetes API, for the rules' `input.lookups`.

Reads go through the one client (`konflux.kube.client`), configured as every
component is (`konflux.kube.config`: --kubeconfig, $KUBECONFIG, in-cluster,
~/.kube/config). Answers are cached briefly (admission bursts ask for the same
Application many times); errors are not. A read that cannot be done becomes an
`{"error": ...}` entry naming the verb, the resource and the cause: the rules
decide what that means (they deny, naming it).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from typing import Any

from konflux.kube.client import KubeClient
from konflux.kube.config import ClusterConfig
from konflux.kube.errors import KubeError
from konflux.kube.resources import Resource
from konflux.webhooks.endpoints import Lookup
from konflux.webhooks.input_shape import without_managed_fields

NO_CLUSTER = "no Kubernetes API configured (pass --kubeconfig, set KUBECONFIG, or run in a cluster)"
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


class LookupReader:
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
        self.config, self.ttl, self.max_entries = config, ttl, max_entries
        self.managed_fields = managed_fields  # False: answers drop metadata.managedFields
        self.client = KubeClient(config, timeout=timeout) if config is not None else None
        self._cache: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

    def _kept(self, obj: Any) -> Any:
        """`obj` as the rules get it: without managedFields unless they read them."""
        return obj if self.managed_fields else without_managed_fields(obj)

    def cached(self, key: str) -> dict[str, Any] | None:
        """The cached answer for `key` (an object or collection path) if it is still fresh."""
        cached = self._cache.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        return None

    async def read(self, resource: Resource, namespace: str, name: str = "") -> dict[str, Any]:
        """`{"found": bool, "object": ...}` (get `name`), `{"items": [...]}` (list, no name),
        or `{"error": ...}`."""
        key = resource.path(namespace, name or None)
        if (cached := self.cached(key)) is not None:
            return cached
        if self.client is None:
            return {"error": NO_CLUSTER}
        try:
            if name:
                obj = await self.client.get(resource, namespace, name)
                found = obj is not None
                result = {"found": True, "object": self._kept(obj)} if found else {"found": False}
            else:
                items = await self.client.list(resource, namespace)
                result = {"items": [self._kept(item) for item in items]}
        except KubeError as exc:
            return {"error": str(exc)}
        self._cache[key] = (time.monotonic() + self.ttl, result)
        self._cache.move_to_end(key)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return result


async def gather(
    lookups: tuple[Lookup, ...], request: dict[str, Any], reader: LookupReader
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
        name = ""
        if lookup.verb == "get":
            name = spec.get(lookup.name_field)
            if not isinstance(name, str) or not name:
                continue  # nothing named, nothing to read: the rules see no entry
            if not _NAME.match(name):
                out[lookup.key] = {"name": name, "found": False}
                continue
        hit = reader.cached(lookup.resource.path(namespace, name or None))
        if hit is not None:
            out[lookup.key] = {**hit, **({"name": name} if name else {})}
        else:
            jobs[lookup.key] = (name, reader.read(lookup.resource, namespace, name))
    if jobs:
        results = await asyncio.gather(*(job for _, job in jobs.values()))
        for (key, (name, _)), result in zip(jobs.items(), results, strict=True):
            out[key] = {**result, **({"name": name} if name else {})}
    return out
