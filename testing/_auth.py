"""Authentication and RBAC authorization for the emulated API server, as kube-apiserver does them.

The web console asks the API server who a bearer token belongs to (TokenReview) and
whether that user may read something (SubjectAccessReview). To test it without a real
cluster, the emulator answers both the way kube-apiserver does with a static token file
(`--token-auth-file`) and the RBAC authorizer: Roles, ClusterRoles, RoleBindings and
ClusterRoleBindings stored in the emulator decide, with RBAC's matching rules (`*`
wildcards, `resource/subresource`, `resourceNames`, User/Group/ServiceAccount subjects,
`system:masters`). See https://kubernetes.io/docs/reference/access-authn-authz/rbac/.

Requests that carry a bearer token are authorized too (401 for an unknown token, 403
when RBAC denies), so a test can run a client with exactly the rights a manifest in
`deploy/` grants. Requests without credentials keep the emulator's old behaviour (the
controllers in tests and `dev simulate` act as an unrestricted client). Left out on
purpose: aggregated ClusterRoles and non-resource URLs (nothing here uses them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp.web
from kmock import action as api_action

from konflux.kube.resources import (
    CLUSTER_ROLE,
    CLUSTER_ROLE_BINDING,
    ROLE,
    ROLE_BINDING,
    SUBJECT_ACCESS_REVIEW,
    TOKEN_REVIEW,
    Resource,
)

RBAC_RESOURCES = [ROLE, CLUSTER_ROLE, ROLE_BINDING, CLUSTER_ROLE_BINDING]
REVIEW_RESOURCES = [TOKEN_REVIEW, SUBJECT_ACCESS_REVIEW]

SUPERUSER_GROUP = "system:masters"
AUTHENTICATED = "system:authenticated"

_VERBS = {
    api_action.LIST: "list",
    api_action.WATCH: "watch",
    api_action.FETCH: "get",
    api_action.CREATE: "create",
    api_action.UPDATE: "patch",
    api_action.DELETE: "delete",
}


@dataclass(frozen=True)
class UserInfo:
    """Who a token authenticates as (TokenReview's `status.user`)."""

    username: str
    groups: tuple[str, ...] = ()
    uid: str = ""

    def as_status(self) -> dict[str, Any]:
        return {"username": self.username, "uid": self.uid, "groups": list(self.groups)}

    @classmethod
    def service_account(cls, namespace: str, name: str) -> UserInfo:
        return cls(
            f"system:serviceaccount:{namespace}:{name}",
            ("system:serviceaccounts", f"system:serviceaccounts:{namespace}"),
        )


@dataclass(frozen=True)
class Attributes:
    """What a request asks to do (SubjectAccessReview's `resourceAttributes`)."""

    verb: str
    group: str
    resource: str
    namespace: str = ""
    name: str = ""
    subresource: str = ""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


def _matches(values: Iterable[str] | None, wanted: str) -> bool:
    values = list(values or [])
    return "*" in values or wanted in values


def rule_allows(rule: dict[str, Any], attrs: Attributes) -> bool:
    """One PolicyRule against the request, by RBAC's matching rules."""
    if not _matches(rule.get("verbs"), attrs.verb):
        return False
    if not _matches(rule.get("apiGroups"), attrs.group):
        return False
    combined = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    resources = list(rule.get("resources") or [])
    if not (
        "*" in resources
        or combined in resources
        or (attrs.subresource and f"*/{attrs.subresource}" in resources)
    ):
        return False
    names = list(rule.get("resourceNames") or [])
    return not names or attrs.name in names


def _subject_matches(subject: dict[str, Any], user: UserInfo, binding_ns: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return name == user.username
    if kind == "Group":
        return name in (*user.groups, AUTHENTICATED)
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or binding_ns
        return user.username == f"system:serviceaccount:{ns}:{name}"
    return False


def authorize(
    user: UserInfo,
    attrs: Attributes,
    roles: list[dict[str, Any]],
    cluster_roles: list[dict[str, Any]],
    bindings: list[dict[str, Any]],
    cluster_bindings: list[dict[str, Any]],
) -> Decision:
    """The RBAC authorizer's answer for `user` doing `attrs` (deny unless a rule allows)."""
    if SUPERUSER_GROUP in user.groups:
        return Decision(True, f"allowed by the {SUPERUSER_GROUP} group")

    def meta(o: dict[str, Any]) -> dict[str, Any]:
        return o.get("metadata") or {}

    by_cluster_role = {meta(r).get("name"): r for r in cluster_roles}
    by_role = {(meta(r).get("namespace"), meta(r).get("name")): r for r in roles}

    def grants(role: dict[str, Any] | None) -> bool:
        return any(rule_allows(rule, attrs) for rule in (role or {}).get("rules") or [])

    for binding in cluster_bindings:
        ref = binding.get("roleRef") or {}
        if ref.get("kind") != "ClusterRole":
            continue
        if any(_subject_matches(s, user, "") for s in binding.get("subjects") or []) and grants(
            by_cluster_role.get(ref.get("name"))
        ):
            return Decision(True, f'RBAC: allowed by ClusterRoleBinding "{meta(binding)["name"]}"')
    if attrs.namespace:
        for binding in bindings:
            ns = meta(binding).get("namespace")
            if ns != attrs.namespace:
                continue
            if not any(_subject_matches(s, user, ns) for s in binding.get("subjects") or []):
                continue
            ref = binding.get("roleRef") or {}
            role = (
                by_cluster_role.get(ref.get("name"))
                if ref.get("kind") == "ClusterRole"
                else by_role.get((ns, ref.get("name")))
            )
            if grants(role):
                return Decision(
                    True, f'RBAC: allowed by RoleBinding "{meta(binding)["name"]}/{ns}"'
                )
    return Decision(False, "")


@dataclass
class ApiServerAuth:
    """Static bearer tokens and the RBAC authorizer, answering reviews as the API server does.

    `ApiServerAuth.install(emulator)` serves the RBAC resources and the reviews on an
    `ApiServerEmulator` and makes it answer them.
    """

    emulator: Any
    tokens: dict[str, UserInfo] = field(default_factory=dict)

    @classmethod
    def install(cls, emulator: Any) -> ApiServerAuth:
        emulator.declare([*RBAC_RESOURCES, *REVIEW_RESOURCES])
        emulator.auth = auth = cls(emulator)
        return auth

    def add_token(self, token: str, user: UserInfo) -> None:
        self.tokens[token] = user

    def _rbac(self) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
        live = self.emulator.live
        return (
            live(ROLE),
            live(CLUSTER_ROLE),
            live(ROLE_BINDING),
            live(CLUSTER_ROLE_BINDING),
        )

    def decide(self, user: UserInfo, attrs: Attributes) -> Decision:
        return authorize(user, attrs, *self._rbac())

    def _user_of(self, request: Any) -> UserInfo | bool | None:
        """The token's user; None without credentials; False for a token nobody issued."""
        header = _header(request, "Authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.tokens:
            return False
        return self.tokens[token.strip()]

    async def answer(self, request: Any) -> aiohttp.web.StreamResponse | None:
        """A response for review requests and unauthorized calls; None to serve as usual."""
        resource = request.resource
        if resource is None:
            return None
        caller = self._user_of(request)
        if caller is False:
            return status_response(401, "Unauthorized", "Unauthorized")
        verb = _VERBS.get(request.action, "get")
        if caller is not None:
            attrs = Attributes(
                verb=verb,
                group=resource.group or "",
                resource=resource.plural or "",
                namespace=request.namespace or "",
                name=request.name or "",
                subresource=request.subresource or "",
            )
            if not self.decide(caller, attrs).allowed:
                return status_response(
                    403,
                    "Forbidden",
                    f'{resource.plural} is forbidden: User "{caller.username}" cannot {verb} '
                    f'resource "{resource.plural}" in API group "{resource.group or ""}"'
                    + (f' in the namespace "{request.namespace}"' if request.namespace else ""),
                )
        if request.action != api_action.CREATE:
            return None
        if (resource.group, resource.plural) == (TOKEN_REVIEW.group, TOKEN_REVIEW.plural):
            return self._token_review(request.data)
        if (resource.group, resource.plural) == (
            SUBJECT_ACCESS_REVIEW.group,
            SUBJECT_ACCESS_REVIEW.plural,
        ):
            return self._access_review(request.data)
        return None

    def _token_review(self, body: Any) -> aiohttp.web.StreamResponse:
        spec = (body or {}).get("spec") or {}
        token = spec.get("token")
        if not isinstance(token, str) or not token:
            return status_response(400, "BadRequest", "TokenReview spec.token is required")
        user = self.tokens.get(token)
        status: dict[str, Any] = (
            {"authenticated": True, "user": user.as_status()}
            if user is not None
            else {"user": {}, "error": "[invalid bearer token, token lookup failed]"}
        )
        if user is not None:
            status["user"]["groups"] = [*user.groups, AUTHENTICATED]
        return _created(TOKEN_REVIEW, spec, status)

    def _access_review(self, body: Any) -> aiohttp.web.StreamResponse:
        spec = (body or {}).get("spec") or {}
        attrs = spec.get("resourceAttributes")
        if not isinstance(attrs, dict) or (not spec.get("user") and not spec.get("groups")):
            return status_response(
                400,
                "BadRequest",
                "SubjectAccessReview needs spec.resourceAttributes and spec.user or spec.groups",
            )
        user = UserInfo(str(spec.get("user") or ""), tuple(spec.get("groups") or ()))
        decision = self.decide(
            user,
            Attributes(
                verb=str(attrs.get("verb") or ""),
                group=str(attrs.get("group") or ""),
                resource=str(attrs.get("resource") or ""),
                namespace=str(attrs.get("namespace") or ""),
                name=str(attrs.get("name") or ""),
                subresource=str(attrs.get("subresource") or ""),
            ),
        )
        status: dict[str, Any] = {"allowed": decision.allowed}
        if decision.reason:
            status["reason"] = decision.reason
        return _created(SUBJECT_ACCESS_REVIEW, spec, status)


def _header(request: Any, name: str) -> str:
    for key, value in (request.headers or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _created(resource: Resource, spec: Any, status: dict[str, Any]) -> aiohttp.web.Response:
    body = {
        "apiVersion": resource.api_version,
        "kind": resource.kind,
        "metadata": {},
        "spec": spec,
        "status": status,
    }
    return aiohttp.web.Response(status=201, text=json.dumps(body), content_type="application/json")


def status_response(code: int, reason: str, message: str) -> aiohttp.web.Response:
    """A `Status` failure as kube-apiserver answers it."""
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return aiohttp.web.Response(status=code, text=json.dumps(body), content_type="application/json")
