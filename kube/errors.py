"""Typed errors of the Kubernetes layer: each names the resource, the verb, and what to fix.

Messages read like kubectl's, and say more where kubectl leaves the user
guessing: a 403 names the RBAC permission that is missing, a 401 names where
the refused credentials came from, a TLS failure names the kubeconfig field
to check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from konflux.engine.errors import KonfluxError

if TYPE_CHECKING:
    from konflux.kube.resources import Resource


class KubeError(KonfluxError):
    """Base of every error of the Kubernetes layer."""


class KubeConfigError(KubeError):
    """A kubeconfig, the in-cluster configuration, or a credential in them cannot be used."""


class CredentialPluginError(KubeConfigError):
    """An exec credential plugin failed or answered something unusable."""


def target(
    verb: str,
    resource: Resource,
    namespace: str | None = None,
    name: str | None = None,
    subresource: str = "",
) -> str:
    """`get snapshots.appstudio.redhat.com "s1" in namespace "t"`: what a request was for."""
    what = f"{verb} {resource.qualified}"
    if name:
        what += f' "{name}"'
    if subresource:
        what += f" {subresource}"
    if resource.namespaced:
        what += f' in namespace "{namespace}"' if namespace else " in all namespaces"
    return what


class KubeConnectionError(KubeError):
    """The API server could not be reached, or TLS with it failed."""


class KubeApiError(KubeError):
    """The API server answered a request with an error status."""

    def __init__(
        self,
        verb: str,
        resource: Resource,
        namespace: str | None,
        name: str | None,
        status: int,
        message: str,
        *,
        subresource: str = "",
        reason: str = "",
        detail: str = "",
    ) -> None:
        self.verb, self.resource, self.namespace, self.name = verb, resource, namespace, name
        self.subresource = subresource
        self.status, self.reason, self.server_message = status, reason, message
        what = target(verb, resource, namespace, name, subresource)
        text = f"cannot {what}: {detail or _describe(status)}"
        if message:
            text += f"; the API server said: {message[:500]}"
        super().__init__(text)


def _describe(status: int) -> str:
    return {
        404: "not found",
        409: "conflict",
        422: "the object is invalid",
        429: "too many requests",
    }.get(status, f"HTTP {status}")


class Unauthorized(KubeApiError):
    """401: the API server did not accept the credentials (or none were sent)."""


class Forbidden(KubeApiError):
    """403: authenticated, but RBAC does not allow the verb on the resource."""

    @property
    def permission(self) -> str:
        """The missing RBAC permission, e.g. `get on snapshots (API group "...") in ...`."""
        return permission(self.verb, self.resource, self.namespace, self.subresource)


class NotFound(KubeApiError):
    """404 where something must exist: the namespace, or the resource type itself."""


def permission(verb: str, resource: Resource, namespace: str | None, subresource: str = "") -> str:
    """The RBAC rule a request needs, in words: `get on snapshots (API group "x") in ...`."""
    plural = f"{resource.plural}/{subresource}" if subresource else resource.plural
    group = f'API group "{resource.group}"' if resource.group else 'core API group ""'
    where = f' in namespace "{namespace}"' if resource.namespaced and namespace else " cluster-wide"
    return f"{verb} on {plural} ({group}){where}"
