"""The one resource model: a Kubernetes API resource, its REST paths, and every resource we use.

A `Resource` names an API resource the way the API server, RBAC and kopf do
(group, version, plural) plus its kind and scope. Every component (controllers,
webhook lookups, the CLI) takes its resources from here, so a path spelled in a
handler, a lookup and an RBAC rule cannot drift apart. Versions follow
konflux-ci's application-api, integration-service and release-service.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Resource:
    """A Kubernetes resource kind as the API paths, RBAC and kopf name it."""

    group: str  # "" for the core API group
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        """`apiVersion` of its objects: `group/version`, or `version` in the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`plural.group` as kubectl and RBAC messages name it (`plural` in the core group)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        """The REST path of the collection (no name) or of one object (and its subresource).

        A namespaced resource with namespace None is the cluster-wide collection (list and
        watch only). A namespace or name that no object can have (`addressable`) is a
        `ValueError`, never another path: `..` or an empty name would otherwise reach the
        collection or the parent instead of the object.
        """
        for value in (namespace, name, subresource):
            if value is not None and not addressable(value):
                raise ValueError(f"{value!r} cannot name a Kubernetes object or namespace")
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name:
            base += f"/{quote(name, safe='')}"
            if subresource:
                base += f"/{quote(subresource, safe='')}"
        return base


def addressable(value: str) -> bool:
    """Whether `value` can be a name in an API path: the API server refuses empty names,
    `.` and `..`, and names with `/` or `%` (apimachinery's IsValidPathSegmentName)."""
    return value not in ("", ".", "..") and "/" not in value and "%" not in value


APPSTUDIO = "appstudio.redhat.com"
TEKTON = "tekton.dev"
PAC = "pipelinesascode.tekton.dev"
RBAC = "rbac.authorization.k8s.io"

# --- Konflux (appstudio.redhat.com) ---------------------------------------------------------
APPLICATION = Resource(APPSTUDIO, "v1alpha1", "applications", "Application")
COMPONENT = Resource(APPSTUDIO, "v1alpha1", "components", "Component")
SNAPSHOT = Resource(APPSTUDIO, "v1alpha1", "snapshots", "Snapshot")
IMAGE_REPOSITORY = Resource(APPSTUDIO, "v1alpha1", "imagerepositories", "ImageRepository")
SCENARIO = Resource(APPSTUDIO, "v1beta2", "integrationtestscenarios", "IntegrationTestScenario")
COMPONENT_GROUP = Resource(APPSTUDIO, "v1beta2", "componentgroups", "ComponentGroup")
NUDGE_CONFIG = Resource(APPSTUDIO, "v1beta2", "nudgeconfigs", "NudgeConfig")
RELEASE_SERVICE_CONFIG = Resource(
    APPSTUDIO, "v1alpha1", "releaseserviceconfigs", "ReleaseServiceConfig"
)
INTERNAL_REQUEST = Resource(APPSTUDIO, "v1alpha1", "internalrequests", "InternalRequest")
RELEASE = Resource(APPSTUDIO, "v1alpha1", "releases", "Release")
RELEASE_PLAN = Resource(APPSTUDIO, "v1alpha1", "releaseplans", "ReleasePlan")
RELEASE_PLAN_ADMISSION = Resource(
    APPSTUDIO, "v1alpha1", "releaseplanadmissions", "ReleasePlanAdmission"
)
POLICY = Resource(APPSTUDIO, "v1alpha1", "enterprisecontractpolicies", "EnterpriseContractPolicy")

# --- Tekton and Pipelines-as-Code -----------------------------------------------------------
PIPELINE_RUN = Resource(TEKTON, "v1", "pipelineruns", "PipelineRun")
TASK_RUN = Resource(TEKTON, "v1", "taskruns", "TaskRun")
PAC_REPOSITORY = Resource(PAC, "v1alpha1", "repositories", "Repository")

# --- Kubernetes -----------------------------------------------------------------------------
SERVICE_ACCOUNT = Resource("", "v1", "serviceaccounts", "ServiceAccount")
CONFIG_MAP = Resource("", "v1", "configmaps", "ConfigMap")
SECRET = Resource("", "v1", "secrets", "Secret")  # signing keys (chains, k8s:// key refs)
NAMESPACE = Resource("", "v1", "namespaces", "Namespace", namespaced=False)
ROLE_BINDING = Resource(RBAC, "v1", "rolebindings", "RoleBinding")
ROLE = Resource(RBAC, "v1", "roles", "Role")
CLUSTER_ROLE = Resource(RBAC, "v1", "clusterroles", "ClusterRole", namespaced=False)
CLUSTER_ROLE_BINDING = Resource(
    RBAC, "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced=False
)
# Reviews: asked of the API server (create only), never stored (the web console's gate).
TOKEN_REVIEW = Resource(
    "authentication.k8s.io", "v1", "tokenreviews", "TokenReview", namespaced=False
)
SUBJECT_ACCESS_REVIEW = Resource(
    "authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", namespaced=False
)
CRD = Resource(
    "apiextensions.k8s.io",
    "v1",
    "customresourcedefinitions",
    "CustomResourceDefinition",
    namespaced=False,
)

__all__ = [
    "APPLICATION",
    "APPSTUDIO",
    "CLUSTER_ROLE",
    "CLUSTER_ROLE_BINDING",
    "COMPONENT",
    "COMPONENT_GROUP",
    "CONFIG_MAP",
    "CRD",
    "IMAGE_REPOSITORY",
    "INTERNAL_REQUEST",
    "NAMESPACE",
    "NUDGE_CONFIG",
    "PAC",
    "PAC_REPOSITORY",
    "PIPELINE_RUN",
    "POLICY",
    "RBAC",
    "RELEASE",
    "RELEASE_PLAN",
    "RELEASE_PLAN_ADMISSION",
    "RELEASE_SERVICE_CONFIG",
    "ROLE",
    "ROLE_BINDING",
    "SCENARIO",
    "SECRET",
    "SERVICE_ACCOUNT",
    "SNAPSHOT",
    "SUBJECT_ACCESS_REVIEW",
    "TASK_RUN",
    "TEKTON",
    "TOKEN_REVIEW",
    "Resource",
    "addressable",
]
