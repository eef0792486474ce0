"""Every Kubernetes label and annotation name Konflux reads or writes, and their known values.

Defined once, here: a label spelled in a controller, a webhook rule's input, a
test and a Tekton YAML cannot drift apart. Names and values follow konflux-ci's
integration-service, release-service, build-service, Tekton Chains and
Pipelines-as-Code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from konflux.engine.policy.files import DataDocument

# --- shared by builds, snapshots and tests ---------------------------------------------------
PIPELINE_TYPE_LABEL = "pipelines.appstudio.openshift.io/type"
PIPELINE_TYPE_BUILD = "build"
PIPELINE_TYPE_TEST = "test"
# release-service's pipeline types (metadata/labels.go)
PIPELINE_TYPE_MANAGED = "managed"
PIPELINE_TYPE_TENANT = "tenant"
PIPELINE_TYPE_FINAL = "final"
COMPONENT_LABEL = "appstudio.openshift.io/component"
APPLICATION_LABEL = "appstudio.openshift.io/application"
COMPONENT_GROUP_LABEL = "appstudio.openshift.io/component-group"
# On a build PipelineRun: the Component version built; its presence selects the ComponentGroup
# model (integration-service's PipelineRunComponentVersionAnnotation).
COMPONENT_VERSION_ANNOTATION = "appstudio.openshift.io/version"
SNAPSHOT_LABEL = "appstudio.openshift.io/snapshot"
BUILD_PIPELINERUN_LABEL = "appstudio.openshift.io/build-pipelinerun"
SNAPSHOT_ANNOTATION = "appstudio.openshift.io/snapshot"

# --- Kubernetes and Tekton -------------------------------------------------------------------
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER_NAME = "konflux-controllers"  # our value of MANAGED_BY
# Argo CD marks what it manages with this label or annotation (the webhooks leave such
# objects' owner references alone, as upstream's).
ARGOCD_TRACKING_ID = "argocd.argoproj.io/tracking-id"
TEKTON_PIPELINE_RUN_LABEL = "tekton.dev/pipelineRun"  # set by Tekton on a run's TaskRuns
TEKTON_PIPELINE_TASK_LABEL = "tekton.dev/pipelineTask"  # ... with the pipeline task's name

# --- Tekton Chains and Pipelines-as-Code -----------------------------------------------------
CHAINS_PREFIX = "chains.tekton.dev/"
CHAINS_SIGNED_ANNOTATION = "chains.tekton.dev/signed"
CHAINS_SIGNED = "true"  # values of CHAINS_SIGNED_ANNOTATION
CHAINS_FAILED = "failed"
CHAINS_RETRIES_ANNOTATION = "chains.tekton.dev/retries"
CHAINS_TRANSPARENCY_ANNOTATION = "chains.tekton.dev/transparency"
# Ours: why signing failed (upstream Chains only logs it and posts an Event).
CHAINS_FAILURE_ANNOTATION = "chains.tekton.dev/failure-reason"
PAC_PREFIX = "pipelinesascode.tekton.dev/"
PAC_EVENT_TYPE_LABEL = "pipelinesascode.tekton.dev/event-type"
PAC_ON_CEL_ANNOTATION = "pipelinesascode.tekton.dev/on-cel-expression"
PAC_MAX_KEEP_RUNS_ANNOTATION = "pipelinesascode.tekton.dev/max-keep-runs"
# The event types integration-service counts as pushes (GitHub, GitLab).
PAC_PUSH_EVENTS = frozenset({"push", "Push"})
# GitHub merge queue branches: their builds are neither pushes nor ordinary pull requests.
MERGE_QUEUE_BRANCH_PREFIX = "gh-readonly-queue/"

# --- integration-service ---------------------------------------------------------------------
TEST_PREFIX = "test.appstudio.openshift.io/"
SNAPSHOT_TYPE_LABEL = "test.appstudio.openshift.io/type"
SNAPSHOT_TYPE_COMPONENT = "component"
SNAPSHOT_TYPE_GROUP = "group"
SNAPSHOT_TYPE_OVERRIDE = "override"
SCENARIO_LABEL = "test.appstudio.openshift.io/scenario"
OPTIONAL_LABEL = "test.appstudio.openshift.io/optional"
RERUN_LABEL = "test.appstudio.openshift.io/run"
TEST_STATUS_ANNOTATION = "test.appstudio.openshift.io/status"
RESULT_ANNOTATION_PREFIX = "test.appstudio.openshift.io/result-"
# The build pipeline's SHOULD_RELEASE result, as a Snapshot annotation: "false" gates auto-release.
SHOULD_RELEASE_ANNOTATION = RESULT_ANNOTATION_PREFIX + "should-release"
# On a build PipelineRun: {"status": "success"|"failed", "message": ...} about its Snapshot.
CREATE_SNAPSHOT_STATUS_ANNOTATION = "test.appstudio.openshift.io/create-snapshot-status"
SNAPSHOTS_ANNOTATION = "appstudio.openshift.io/snapshots"
PAC_COPY_PREFIX = "pac.test.appstudio.openshift.io/"
INVALID_COMPONENTS_ANNOTATION = "test.appstudio.openshift.io/components-without-image"
RERUN_COUNT_ANNOTATION = "test.appstudio.openshift.io/rerun-count"
KEEP_SNAPSHOT_ANNOTATION = "test.appstudio.openshift.io/keep-snapshot"

# --- release-service -------------------------------------------------------------------------
# Also an annotation on a ReleasePlan: a CEL expression deciding auto-release.
AUTO_RELEASE_LABEL = "release.appstudio.openshift.io/auto-release"
AUTOMATED_LABEL = "release.appstudio.openshift.io/automated"
PINNED_RPA_LABEL = "release.appstudio.openshift.io/releasePlanAdmission"
BLOCK_RELEASES_LABEL = "release.appstudio.openshift.io/block-releases"
AUTHOR_LABEL = "release.appstudio.openshift.io/author"
RELEASE_NAME_LABEL = "release.appstudio.openshift.io/name"
RELEASE_NAMESPACE_LABEL = "release.appstudio.openshift.io/namespace"
RELEASE_SNAPSHOT_LABEL = SNAPSHOT_LABEL
# release-service's own label naming a Release's Snapshot (metadata.SnapshotLabel), set by
# the Release admission webhook. (The controllers' automated Releases carry SNAPSHOT_LABEL.)
RELEASE_SERVICE_SNAPSHOT_LABEL = "release.appstudio.openshift.io/snapshot"
# On a ReleasePlan: its author's standing authorization to release (release-service).
STANDING_ATTRIBUTION_LABEL = "release.appstudio.openshift.io/standing-attribution"
RELEASE_PLAN_LABEL = "release.appstudio.openshift.io/releasePlan"
RELEASE_ATTEMPT_LABEL = "release.appstudio.openshift.io/attempt"
SERVICE_LABEL = "appstudio.openshift.io/service"
SERVICE_RELEASE = "release"
RELEASE_FINALIZER = "appstudio.redhat.com/release-finalizer"
# release-service-catalog pipelines declare this workspace (DEFAULT_RELEASE_WORKSPACE_NAME).
RELEASE_WORKSPACE = "release-workspace"
RELEASE_WORKSPACE_SIZE = "1Gi"
RELEASE_SERVICE_CONFIG_NAME = "release-service-config"
# ConfigMap (enterprise-contract-service/ec-defaults) whose keys become managed-run params.
EC_DEFAULTS = ("enterprise-contract-service", "ec-defaults")
EC_DEFAULTS_PARAMS = ("verify_ec_task_bundle", "verify_ec_task_git_revision")

# --- the controllers' gates (ours: integration-service has no such record) -------------------
# On a Snapshot whose tests are over: JSON {promoted, denied: [{code, msg}], releasePlans?,
# gates: <bundle digest>}, what the gates decided about promoting it and with which rules.
PROMOTION_ANNOTATION = "gates.konflux.dev/promotion"

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
# integration-service's test output schema: the TEST_OUTPUT `result` values that pass a
# scenario. The console reads it from Python, the integration gate from data.kube.names.
PASSING_TEST_RESULTS = frozenset({"SUCCESS", "SKIPPED", "WARNING"})

PULL_REQUEST_NUMBER_ANNOTATION = "build.appstudio.redhat.com/pull_request_number"
# image-controller: an ImageRepository names its Component with this label; with the annotation
# set to "true" the Component's spec.containerImage is set once, and the annotation removed.
IMAGE_REPOSITORY_COMPONENT_LABEL = "appstudio.redhat.com/component"
IMAGE_REPOSITORY_APPLICATION_LABEL = "appstudio.redhat.com/application"
UPDATE_COMPONENT_IMAGE_ANNOTATION = "image-controller.appstudio.redhat.com/update-component-image"

__all__ = [name for name in list(globals()) if name.isupper()]


def as_data() -> dict[str, dict[str, dict[str, object]]]:
    """These names as the `data.kube.names` document Rego reads them from (sets as sorted
    lists, tuples as lists), so the gates and admission rules never retype a name."""
    names: dict[str, object] = {}
    for name in __all__:
        value = globals()[name]
        if isinstance(value, frozenset):
            value = sorted(value)
        elif isinstance(value, tuple):
            value = list(value)
        names[name] = value
    return {"kube": {"names": names}}


def names_document() -> DataDocument:
    """`as_data()` as a policy data document, for the callers that load Rego reading names."""
    from konflux.engine.policy.files import DataDocument

    return DataDocument("konflux/kube/names.py", "", as_data())
