"""Every Kubernetes API call the console makes, and the per-user decision of what it may show.

How a user's view is authorized (the decision, and why):

- The user presents a bearer token. The console asks the API server who it is
  (TokenReview) and never uses the token for anything else.
- Before any read on a user's behalf, the console asks the API server whether that
  user may do it (SubjectAccessReview with the user's name, groups and extra):
  `list` and `get` of the resource in the namespace for a listing, `get` of the
  object for one object. Only on `allowed: true` does it read, with its own
  ServiceAccount. Anything else (denied, no opinion, an error) shows nothing.
- So the console's own rights never decide what a user sees; they only bound what
  it can read at all (deploy/console grants read of the Konflux and Tekton resources
  it shows, namespaces, and `create` of the two reviews; no Secrets).

We chose this over forwarding (or impersonating) the user's token for reads:
impersonation needs the `impersonate` verb, a right far larger than the console's
whole purpose; forwarding makes every user's token travel to every read and forbids
sharing reads between users. With reviews, one short-lived read cache serves every
user (the live pages poll it), and the API server still answers every authorization
question, by the same RBAC that `kubectl` meets.

Reviews are cached briefly (`review_ttl`, default 10 s): a revoked token or removed
RoleBinding stops working within that time. Reads are cached for `read_ttl`
(default 2 s), shared by all users, and only ever handed out after a review.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from konflux.console.errors import AccessDenied, ApiUnavailable, NotFound, Unauthenticated
from konflux.kube import resources as r
from konflux.kube.client import KubeClient
from konflux.kube.errors import KubeConnectionError, KubeError
from konflux.kube.resources import SUBJECT_ACCESS_REVIEW, TOKEN_REVIEW, Resource

Obj = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class User:
    """Who a token belongs to, as TokenReview says."""

    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def subject(self) -> Obj:
        """The SubjectAccessReview spec fields naming this user."""
        spec: Obj = {"user": self.name, "groups": list(self.groups)}
        if self.uid:
            spec["uid"] = self.uid
        if self.extra:
            spec["extra"] = {k: list(v) for k, v in self.extra}
        return spec


class _Expiring:
    """A small TTL cache whose concurrent misses for one key share one load."""

    def __init__(self, ttl: float, clock: Callable[[], float], limit: int = 20_000) -> None:
        self.ttl, self.clock, self.limit = ttl, clock, limit
        self._entries: dict[Any, tuple[float, asyncio.Future[Any]]] = {}

    async def get(self, key: Any, load: Callable[[], Awaitable[T]]) -> T:
        now = self.clock()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return await asyncio.shield(hit[1])
        if len(self._entries) >= self.limit:
            self._evict(now)
        future: asyncio.Future[Any] = asyncio.ensure_future(load())
        self._entries[key] = (now + self.ttl, future)
        try:
            return await asyncio.shield(future)
        except BaseException:
            # Failures are not remembered: the next page view asks again.
            if self._entries.get(key, (0, None))[1] is future:
                del self._entries[key]
            raise

    def _evict(self, now: float) -> None:
        for key in [k for k, (t, _) in self._entries.items() if t <= now]:
            del self._entries[key]
        while len(self._entries) >= self.limit:
            del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        self._entries.clear()


@dataclass
class Counters:
    """API requests the console made, by kind (for bench/console.py and /metrics-like use)."""

    token_reviews: int = 0
    access_reviews: int = 0
    reads: int = 0
    by_resource: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.token_reviews + self.access_reviews + self.reads


class ClusterAccess:
    """The console's connection: reviews with the API server, reads with its ServiceAccount."""

    def __init__(
        self,
        client: KubeClient,
        *,
        read_ttl: float = 2.0,
        review_ttl: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.counters = Counters()
        self._tokens = _Expiring(review_ttl, clock)
        self._reviews = _Expiring(review_ttl, clock)
        self._reads = _Expiring(read_ttl, clock)

    async def close(self) -> None:
        await self.client.close()

    # --- who: TokenReview ----------------------------------------------------------------

    async def authenticate(self, token: str) -> User:
        """The user the API server says `token` is; `Unauthenticated` when it is not one."""
        token = token.strip()
        if not token:
            raise Unauthenticated("no token: log in with a Kubernetes bearer token")
        # Keyed by a digest: the cache never holds a usable token.
        key = hashlib.sha256(token.encode()).hexdigest()
        return await self._tokens.get(key, lambda: self._token_review(token))

    async def _token_review(self, token: str) -> User:
        body = {
            "apiVersion": TOKEN_REVIEW.api_version,
            "kind": TOKEN_REVIEW.kind,
            "spec": {"token": token},
        }
        self.counters.token_reviews += 1
        answer = await self._call("TokenReview", self.client.create(TOKEN_REVIEW, body))
        status = (answer or {}).get("status") or {}
        user = status.get("user") or {}
        if status.get("authenticated") is not True or not user.get("username"):
            reason = status.get("error") or "the API server did not authenticate it"
            raise Unauthenticated(f"the token was not accepted: {reason}")
        extra = user.get("extra") or {}
        return User(
            name=str(user["username"]),
            uid=str(user.get("uid") or ""),
            groups=tuple(str(g) for g in user.get("groups") or ()),
            extra=tuple(sorted((str(k), tuple(map(str, v or ()))) for k, v in extra.items())),
        )

    # --- may: SubjectAccessReview --------------------------------------------------------

    async def allowed(
        self, user: User, verb: str, resource: Resource, namespace: str, name: str = ""
    ) -> bool:
        """Whether the API server allows `user` to `verb` `resource` (review, cached)."""
        key = (user, verb, resource.group, resource.plural, namespace, name)
        return await self._reviews.get(
            key, lambda: self._access_review(user, verb, resource, namespace, name)
        )

    async def _access_review(
        self, user: User, verb: str, resource: Resource, namespace: str, name: str
    ) -> bool:
        attributes = {"verb": verb, "group": resource.group, "resource": resource.plural}
        if namespace:
            attributes["namespace"] = namespace
        if name:
            attributes["name"] = name
        body = {
            "apiVersion": SUBJECT_ACCESS_REVIEW.api_version,
            "kind": SUBJECT_ACCESS_REVIEW.kind,
            "spec": {**user.subject(), "resourceAttributes": attributes},
        }
        self.counters.access_reviews += 1
        answer = await self._call(
            "SubjectAccessReview", self.client.create(SUBJECT_ACCESS_REVIEW, body)
        )
        status = (answer or {}).get("status") or {}
        # Only an explicit `allowed: true` allows; `denied`, no opinion or an evaluation
        # error all show nothing.
        return status.get("allowed") is True and status.get("denied") is not True

    # --- reads (only after a review) -----------------------------------------------------

    async def _list(
        self, resource: Resource, namespace: str | None, labels: dict[str, str] | None = None
    ) -> list[Obj]:
        key = (resource.group, resource.plural, namespace, tuple(sorted((labels or {}).items())))

        async def load() -> list[Obj]:
            self.counters.reads += 1
            self.counters.by_resource[resource.plural] = (
                self.counters.by_resource.get(resource.plural, 0) + 1
            )
            return await self._call(
                f"list {resource.plural}", self.client.list(resource, namespace, labels)
            )

        return await self._reads.get(key, load)

    async def _call(self, what: str, call: Awaitable[T]) -> T:
        try:
            return await call
        except KubeConnectionError as exc:
            raise ApiUnavailable(f"cannot reach the API server for {what}: {exc}") from None
        except KubeError as exc:
            raise ApiUnavailable(f"the API server failed the console's {what}: {exc}") from None

    def view(self, user: User) -> UserView:
        return UserView(self, user)


@dataclass(frozen=True)
class NamespaceAccess:
    """A namespace the user may see, and which of its sections."""

    name: str
    applications: bool
    policies: bool


class UserView:
    """What one user may see: every read here is preceded by that user's review."""

    def __init__(self, access: ClusterAccess, user: User) -> None:
        self.access, self.user = access, user

    async def may(self, verb: str, resource: Resource, namespace: str, name: str = "") -> bool:
        return await self.access.allowed(self.user, verb, resource, namespace, name)

    async def may_list(self, resource: Resource, namespace: str) -> bool:
        """`list` and `get` both: a listing shows the objects' content."""
        can_list, can_get = await asyncio.gather(
            self.may("list", resource, namespace), self.may("get", resource, namespace)
        )
        return can_list and can_get

    async def list(
        self, resource: Resource, namespace: str, labels: dict[str, str] | None = None
    ) -> list[Obj]:
        """Objects of `resource` in `namespace`; `AccessDenied` unless the user may list them."""
        if not await self.may_list(resource, namespace):
            raise AccessDenied(self.user.name, "list", resource.plural, namespace)
        return await self.access._list(resource, namespace, labels)

    async def visible(
        self, resource: Resource, namespace: str, labels: dict[str, str] | None = None
    ) -> list[Obj] | None:
        """Like `list`, but None instead of an error: for a page section the user may lack."""
        if not await self.may_list(resource, namespace):
            return None
        return await self.access._list(resource, namespace, labels)

    async def get(self, resource: Resource, namespace: str, name: str) -> Obj:
        """One object; `AccessDenied` unless the user may get it, `NotFound` if it is absent."""
        if not await self.may("get", resource, namespace, name):
            raise AccessDenied(self.user.name, "get", resource.plural, namespace, name)
        # Served from the namespace's (shared, short-lived) listing: one read serves the
        # pages of every object in it.
        for obj in await self.access._list(resource, namespace):
            if (obj.get("metadata") or {}).get("name") == name:
                return obj
        raise NotFound(f"{resource.kind} {name!r} not found in namespace {namespace!r}")

    async def find(self, resource: Resource, namespace: str, name: str) -> Obj | None:
        """`get`, or None when the user may not get it or it does not exist."""
        try:
            return await self.get(resource, namespace, name)
        except (AccessDenied, NotFound):
            return None

    async def namespaces(self) -> list[NamespaceAccess]:
        """Namespaces holding Applications or EnterpriseContractPolicies that the user may list.

        The candidates come from the console's cluster-wide listings of those two kinds, not
        from Namespace objects: a namespace with neither has nothing to show, and the console
        needs no right on Namespaces at all. Only the user's reviews decide which are shown.
        """
        apps, policies = await asyncio.gather(
            self.access._list(r.APPLICATION, None), self.access._list(r.POLICY, None)
        )
        names = sorted(
            {str((o.get("metadata") or {}).get("namespace") or "") for o in apps + policies} - {""}
        )

        async def check(name: str) -> NamespaceAccess:
            apps, policies = await asyncio.gather(
                self.may_list(r.APPLICATION, name), self.may_list(r.POLICY, name)
            )
            return NamespaceAccess(name, apps, policies)

        found = await asyncio.gather(*(check(n) for n in names))
        return [ns for ns in found if ns.applications or ns.policies]
