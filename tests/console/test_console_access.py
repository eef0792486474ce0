"""ClusterAccess: reviews are asked of the API server, cached briefly, and fail closed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from console_support import READ_EVERYTHING, TENANT, binding, role, small_world, user

from konflux.console.access import ClusterAccess, User
from konflux.console.errors import AccessDenied, ApiUnavailable, Unauthenticated
from konflux.controllers import constants as c
from konflux.kube.client import KubeClient
from konflux.kube.config import ClusterConfig
from konflux.testing import ApiServerAuth, LocalCluster, UserInfo


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _cluster_with_alice(cl: LocalCluster, rules: list[dict]) -> ApiServerAuth:
    auth = ApiServerAuth.install(cl.api)
    auth.add_token("alice-token", UserInfo("alice", ("devs",)))
    for res, obj in [
        role(TENANT, "reader", rules),
        binding(TENANT, "reader", "Role", "reader", [user("alice")]),
    ]:
        await cl.client.create(res, obj)
    from console_support import load_objects

    await load_objects(cl.client, small_world())
    return auth


def test_reviews_are_cached_for_review_ttl_then_asked_again():
    async def scenario() -> None:
        async with LocalCluster() as cl:
            await _cluster_with_alice(cl, READ_EVERYTHING)
            clock = Clock()
            access = ClusterAccess(KubeClient(cl.config), review_ttl=10, read_ttl=2, clock=clock)
            alice = await access.authenticate("alice-token")
            assert alice == User("alice", groups=("devs", "system:authenticated"))
            view = access.view(alice)
            for _ in range(3):
                assert await view.list(c.RELEASE, TENANT)
            assert access.counters.token_reviews == 1
            assert access.counters.access_reviews == 2  # list and get, once each
            assert access.counters.reads == 1
            clock.now = 5  # reads expired, reviews not
            await view.list(c.RELEASE, TENANT)
            assert (access.counters.access_reviews, access.counters.reads) == (2, 2)
            # The RoleBinding goes away: within review_ttl the cached answer stands...
            await cl.client.delete(ROLE_BINDING_RES, TENANT, "reader")
            assert await view.may("list", c.RELEASE, TENANT)
            # ...and after it, the API server's new answer applies.
            clock.now = 11
            with pytest.raises(AccessDenied, match="alice may not list releases in namespace"):
                await view.list(c.RELEASE, TENANT)
            await access.close()

    asyncio.run(scenario())


def test_a_revoked_token_stops_working_after_review_ttl():
    async def scenario() -> None:
        async with LocalCluster() as cl:
            auth = await _cluster_with_alice(cl, READ_EVERYTHING)
            clock = Clock()
            access = ClusterAccess(KubeClient(cl.config), review_ttl=10, clock=clock)
            await access.authenticate("alice-token")
            del auth.tokens["alice-token"]
            await access.authenticate("alice-token")  # cached
            clock.now = 10.5
            with pytest.raises(Unauthenticated, match="invalid bearer token"):
                await access.authenticate("alice-token")
            with pytest.raises(Unauthenticated, match="no token"):
                await access.authenticate("  ")
            await access.close()

    asyncio.run(scenario())


class ScriptedClient:
    """A client whose review answers a test writes (what a misbehaving server could send)."""

    def __init__(self, answer: Any) -> None:
        self.answer, self.bodies = answer, []

    async def create(self, resource: Any, body: Any) -> Any:
        self.bodies.append(body)
        return self.answer

    async def close(self) -> None:
        pass


@pytest.mark.parametrize(
    "status",
    [
        {},
        {"allowed": "true"},
        {"allowed": 1},
        {"allowed": True, "denied": True},
        {"allowed": False, "evaluationError": "webhook down"},
    ],
)
def test_only_an_explicit_allowed_true_allows(status):
    client = ScriptedClient({"status": status})
    access = ClusterAccess(client)  # type: ignore[arg-type]
    assert asyncio.run(access.allowed(User("u"), "get", c.RELEASE, "ns", "r")) is False
    spec = client.bodies[0]["spec"]
    assert spec["user"] == "u" and spec["resourceAttributes"] == {
        "verb": "get",
        "group": "appstudio.redhat.com",
        "resource": "releases",
        "namespace": "ns",
        "name": "r",
    }


def test_review_carries_the_users_groups_uid_and_extra():
    client = ScriptedClient({"status": {"allowed": True}})
    who = User("u", uid="1", groups=("g",), extra=(("scopes", ("a", "b")),))
    assert asyncio.run(ClusterAccess(client).allowed(who, "list", c.SNAPSHOT, "ns"))  # type: ignore[arg-type]
    spec = client.bodies[0]["spec"]
    assert (spec["uid"], spec["groups"], spec["extra"]) == ("1", ["g"], {"scopes": ["a", "b"]})
    assert "name" not in spec["resourceAttributes"]


@pytest.mark.parametrize(
    "status",
    [
        {"authenticated": True},
        {"authenticated": "yes", "user": {"username": "x"}},
        {"user": {"username": "x"}},
    ],
)
def test_a_token_review_without_authenticated_true_and_a_user_is_refused(status):
    access = ClusterAccess(ScriptedClient({"status": status}))  # type: ignore[arg-type]
    with pytest.raises(Unauthenticated):
        asyncio.run(access.authenticate("t"))


def test_an_unreachable_api_server_is_an_error_not_a_denial():
    async def scenario() -> None:
        access = ClusterAccess(KubeClient(ClusterConfig.for_server("http://127.0.0.1:9")))
        with pytest.raises(ApiUnavailable, match="cannot reach the API server for TokenReview"):
            await access.authenticate("t")
        await access.close()

    asyncio.run(scenario())


ROLE_BINDING_RES = c.ROLE_BINDING
