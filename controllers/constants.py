"""The controllers' vocabulary: Kubernetes resources and names from `konflux.kube`, plus the
conditions, reasons and results that belong to the controllers alone.

Resources (`konflux.kube.resources`) and label/annotation names
(`konflux.kube.names`) are defined once, there; they are re-exported here so a
reconcile function reads `c.SNAPSHOT`, `c.COMPONENT_LABEL` and
`c.CONDITION_RELEASED` from one place. Values follow konflux-ci's
integration-service, release-service and build-service.
"""

from __future__ import annotations

from konflux.kube.names import *  # noqa: F403
from konflux.kube.resources import *  # noqa: F403

# The operators `konflux controllers run --only` can start.
OPERATORS = ("integration", "release", "build", "chains")
# The signer runs apart (its own namespace, ServiceAccount and key): only when asked for.
DEFAULT_OPERATORS = ("integration", "release", "build")

# --- integration-service ---------------------------------------------------------------------
TEST_OUTPUT_RESULT = "TEST_OUTPUT"
# PASSING_TEST_RESULTS lives in konflux.kube.names (re-exported above): the integration gate
# reads the same set as data.kube.names, so it is defined once.

CONDITION_INTEGRATION_STATUS = "AppStudioIntegrationStatus"
CONDITION_TEST_SUCCEEDED = "AppStudioTestSucceeded"
CONDITION_AUTO_RELEASED = "AutoReleased"

# --- release-service -------------------------------------------------------------------------
CONDITION_MATCHED = "Matched"
CONDITION_RELEASED = "Released"
CONDITION_VALIDATED = "Validated"
CONDITION_TENANT_PIPELINE = "TenantPipelineProcessed"
CONDITION_MANAGED_PIPELINE = "ManagedPipelineProcessed"
CONDITION_FINAL_PIPELINE = "FinalPipelineProcessed"

# --- build-service / image-controller ----------------------------------------------------------
BUILD_SERVICE_ACCOUNT_PREFIX = "build-pipeline-"

# --- Tekton ----------------------------------------------------------------------------------
SUCCEEDED_CONDITION = "Succeeded"
