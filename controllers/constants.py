"""Every name the controllers read or write: API resources, labels, annotations, conditions.

One module so that a label spelled in a handler, a reconcile function, a test and
the Tekton YAML cannot drift apart. Values follow konflux-ci's integration-service,
release-service, build-service and application-api.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    """A Kubernetes resource kind as the API paths and kopf name it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


APPSTUDIO = "appstudio.redhat.com"
TEKTON = "tekton.dev"

APPLICATION = Resource(APPSTUDIO, "v1alpha1", "applications", "Application")
COMPONENT = Resource(APPSTUDIO, "v1alpha1", "components", "Component")
SNAPSHOT = Resource(APPSTUDIO, "v1alpha1", "snapshots", "Snapshot")
IMAGE_REPOSITORY = Resource(APPSTUDIO, "v1alpha1", "imagerepositories", "ImageRepository")
SCENARIO = Resource(APPSTUDIO, "v1beta2", "integrationtestscenarios", "IntegrationTestScenario")
RELEASE = Resource(APPSTUDIO, "v1alpha1", "releases", "Release")
RELEASE_PLAN = Resource(APPSTUDIO, "v1alpha1", "releaseplans", "ReleasePlan")
RELEASE_PLAN_ADMISSION = Resource(
    APPSTUDIO, "v1alpha1", "releaseplanadmissions", "ReleasePlanAdmission"
)
POLICY = Resource(APPSTUDIO, "v1alpha1", "enterprisecontractpolicies", "EnterpriseContractPolicy")
PIPELINE_RUN = Resource(TEKTON, "v1", "pipelineruns", "PipelineRun")
TASK_RUN = Resource(TEKTON, "v1", "taskruns", "TaskRun")
PAC_REPOSITORY = Resource("pipelinesascode.tekton.dev", "v1alpha1", "repositories", "Repository")
SERVICE_ACCOUNT = Resource("", "v1", "serviceaccounts", "ServiceAccount")
CONFIG_MAP = Resource("", "v1", "configmaps", "ConfigMap")
SECRET = Resource("", "v1", "secrets", "Secret")
NAMESPACE = Resource("", "v1", "namespaces", "Namespace", namespaced=False)
ROLE_BINDING = Resource("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding")
CRD = Resource(
    "apiextensions.k8s.io",
    "v1",
    "customresourcedefinitions",
    "CustomResourceDefinition",
    namespaced=False,
)

# --- labels shared by builds, snapshots and tests -------------------------------------------
PIPELINE_TYPE_LABEL = "pipelines.appstudio.openshift.io/type"
PIPELINE_TYPE_BUILD = "build"
PIPELINE_TYPE_TEST = "test"
PIPELINE_TYPE_RELEASE = "release"
PIPELINE_TYPE_TENANT = "tenant"
COMPONENT_LABEL = "appstudio.openshift.io/component"
APPLICATION_LABEL = "appstudio.openshift.io/application"
SNAPSHOT_LABEL = "appstudio.openshift.io/snapshot"
BUILD_PIPELINERUN_LABEL = "appstudio.openshift.io/build-pipelinerun"

# --- Tekton Chains and Pipelines-as-Code -----------------------------------------------------
CHAINS_PREFIX = "chains.tekton.dev/"
CHAINS_SIGNED_ANNOTATION = "chains.tekton.dev/signed"
CHAINS_RETRIES_ANNOTATION = "chains.tekton.dev/retries"
CHAINS_TRANSPARENCY_ANNOTATION = "chains.tekton.dev/transparency"
# Ours: why signing failed (upstream Chains only logs it and posts an Event).
CHAINS_FAILURE_ANNOTATION = "chains.tekton.dev/failure-reason"
CHAINS_SIGNED = "true"
CHAINS_FAILED = "failed"
PIPELINE_RUN_LABEL = "tekton.dev/pipelineRun"
PIPELINE_TASK_LABEL = "tekton.dev/pipelineTask"
PAC_PREFIX = "pipelinesascode.tekton.dev/"
PAC_EVENT_TYPE_LABEL = "pipelinesascode.tekton.dev/event-type"
PAC_ON_CEL_ANNOTATION = "pipelinesascode.tekton.dev/on-cel-expression"
PAC_MAX_KEEP_RUNS_ANNOTATION = "pipelinesascode.tekton.dev/max-keep-runs"
PAC_PUSH_EVENTS = frozenset({"push", "Push", "incoming"})
PAC_PR_EVENTS = frozenset(
    {"pull_request", "Merge_Request", "Merge Request", "pull_request_labeled"}
)

# --- integration-service ---------------------------------------------------------------------
TEST_PREFIX = "test.appstudio.openshift.io/"
SNAPSHOT_TYPE_LABEL = "test.appstudio.openshift.io/type"
SNAPSHOT_TYPE_COMPONENT = "component"
SCENARIO_LABEL = "test.appstudio.openshift.io/scenario"
OPTIONAL_LABEL = "test.appstudio.openshift.io/optional"
RERUN_LABEL = "test.appstudio.openshift.io/run"
TEST_STATUS_ANNOTATION = "test.appstudio.openshift.io/status"
RESULT_ANNOTATION_PREFIX = "test.appstudio.openshift.io/result-"
PAC_COPY_PREFIX = "pac.test.appstudio.openshift.io/"
SNAPSHOT_ANNOTATION = "appstudio.openshift.io/snapshot"
INVALID_COMPONENTS_ANNOTATION = "test.appstudio.openshift.io/components-without-image"
RERUN_COUNT_ANNOTATION = "test.appstudio.openshift.io/rerun-count"
KEEP_SNAPSHOT_ANNOTATION = "test.appstudio.openshift.io/keep-snapshot"
TEST_OUTPUT_RESULT = "TEST_OUTPUT"
PASSING_TEST_RESULTS = frozenset({"SUCCESS", "SKIPPED", "WARNING"})

CONDITION_INTEGRATION_STATUS = "AppStudioIntegrationStatus"
CONDITION_TEST_SUCCEEDED = "AppStudioTestSucceeded"
CONDITION_AUTO_RELEASED = "AutoReleased"

# --- release-service -------------------------------------------------------------------------
AUTO_RELEASE_LABEL = "release.appstudio.openshift.io/auto-release"
AUTOMATED_LABEL = "release.appstudio.openshift.io/automated"
PINNED_RPA_LABEL = "release.appstudio.openshift.io/releasePlanAdmission"
BLOCK_RELEASES_LABEL = "release.appstudio.openshift.io/block-releases"
AUTHOR_LABEL = "release.appstudio.openshift.io/author"
RELEASE_NAME_LABEL = "release.appstudio.openshift.io/name"
RELEASE_NAMESPACE_LABEL = "release.appstudio.openshift.io/namespace"
RELEASE_SNAPSHOT_LABEL = SNAPSHOT_LABEL
RELEASE_PLAN_LABEL = "release.appstudio.openshift.io/releasePlan"

CONDITION_MATCHED = "Matched"
CONDITION_RELEASED = "Released"
CONDITION_VALIDATED = "Validated"
CONDITION_TENANT_PIPELINE = "TenantPipelineProcessed"
CONDITION_MANAGED_PIPELINE = "ManagedPipelineProcessed"

# --- build-service / image-controller ----------------------------------------------------------
BUILD_REQUEST_ANNOTATION = "build.appstudio.openshift.io/request"
BUILD_STATUS_ANNOTATION = "build.appstudio.openshift.io/status"
REQUEST_CONFIGURE_PAC = "configure-pac"
REQUEST_TRIGGER_PAC = "trigger-pac-build"
REQUEST_UNCONFIGURE_PAC = "unconfigure-pac"
BUILD_SERVICE_ACCOUNT_PREFIX = "build-pipeline-"
PAC_DEFINITIONS_LABEL = "build.appstudio.openshift.io/pac-definitions"
IMAGE_REPOSITORY_COMPONENT_LABEL = COMPONENT_LABEL

# --- Tekton ----------------------------------------------------------------------------------
SUCCEEDED_CONDITION = "Succeeded"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER_NAME = "konflux-controllers"
FIELD_MANAGER = "konflux-controllers"
