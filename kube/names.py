"""Every Kubernetes label and annotation name Konflux reads or writes, and their known values.

Defined once, here: a label spelled in a controller, a webhook rule's input, a
test and a Tekton YAML cannot drift apart. Names and values follow konflux-ci's
integration-service, release-service, build-service, Tekton Chains and
Pipelines-as-Code.
"""

from __future__ import annotations

# --- shared by builds, snapshots and tests ---------------------------------------------------
PIPELINE_TYPE_LABEL = "pipelines.appstudio.openshift.io/type"
PIPELINE_TYPE_BUILD = "build"
PIPELINE_TYPE_TEST = "test"
PIPELINE_TYPE_RELEASE = "release"
PIPELINE_TYPE_TENANT = "tenant"
COMPONENT_LABEL = "appstudio.openshift.io/component"
APPLICATION_LABEL = "appstudio.openshift.io/application"
SNAPSHOT_LABEL = "appstudio.openshift.io/snapshot"
BUILD_PIPELINERUN_LABEL = "appstudio.openshift.io/build-pipelinerun"
SNAPSHOT_ANNOTATION = "appstudio.openshift.io/snapshot"

# --- Kubernetes and Tekton -------------------------------------------------------------------
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER_NAME = "konflux-controllers"  # our value of MANAGED_BY
TEKTON_PIPELINE_RUN_LABEL = "tekton.dev/pipelineRun"  # set by Tekton on a run's TaskRuns

# --- Tekton Chains and Pipelines-as-Code -----------------------------------------------------
CHAINS_SIGNED_ANNOTATION = "chains.tekton.dev/signed"
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
INVALID_COMPONENTS_ANNOTATION = "test.appstudio.openshift.io/components-without-image"
RERUN_COUNT_ANNOTATION = "test.appstudio.openshift.io/rerun-count"
KEEP_SNAPSHOT_ANNOTATION = "test.appstudio.openshift.io/keep-snapshot"

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

# --- build-service / image-controller --------------------------------------------------------
BUILD_REQUEST_ANNOTATION = "build.appstudio.openshift.io/request"
REQUEST_CONFIGURE_PAC = "configure-pac"  # values of BUILD_REQUEST_ANNOTATION
REQUEST_TRIGGER_PAC = "trigger-pac-build"
REQUEST_UNCONFIGURE_PAC = "unconfigure-pac"
BUILD_STATUS_ANNOTATION = "build.appstudio.openshift.io/status"
PAC_DEFINITIONS_LABEL = "build.appstudio.openshift.io/pac-definitions"
BUILD_REPO_ANNOTATION = "build.appstudio.openshift.io/repo"  # on proposed PaC PipelineRuns
COMMIT_SHA_ANNOTATION = "build.appstudio.redhat.com/commit_sha"
TARGET_BRANCH_ANNOTATION = "build.appstudio.redhat.com/target_branch"
PULL_REQUEST_NUMBER_ANNOTATION = "build.appstudio.redhat.com/pull_request_number"
IMAGE_REPOSITORY_COMPONENT_LABEL = COMPONENT_LABEL

__all__ = [name for name in list(globals()) if name.isupper()]
