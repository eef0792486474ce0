# METADATA
# title: External parameters
# description: >-
#   The parameters the build was started with (SLSA v1 externalParameters
#   of a Tekton PipelineRun) are ones the release accepts.
package release.external_parameters

import rego.v1

import data.konflux.lib

# METADATA
# title: PipelineRun parameters allowed
# description: Every PipelineRun parameter is listed in allowed_pipeline_run_params.
# custom:
#   short_name: pipeline_run_params
#   failure_msg: PipelineRun parameter %q is not allowed
#   solution: Start the build with the allowed parameters only, or extend allowed_pipeline_run_params.
#   collections: [konflux]
deny contains result if {
	some statement in lib.pipelinerun_provenances
	some param in object.get(lib.external_parameters(statement), ["runSpec", "params"], [])
	name := object.get(param, "name", "<unnamed>")
	not name in lib.rule_data("allowed_pipeline_run_params")
	result := lib.result_with_term(rego.metadata.chain(), [name], name)
}

# METADATA
# title: No shared volumes
# description: No PipelineRun workspace is bound to a persistent volume claim, which other builds could share.
# custom:
#   short_name: restrict_shared_volumes
#   failure_msg: Workspace %q uses the persistent volume claim %q
#   solution: Use volumeClaimTemplate or emptyDir workspaces for builds.
#   collections: [konflux]
deny contains result if {
	some statement in lib.pipelinerun_provenances
	some workspace in object.get(lib.external_parameters(statement), ["runSpec", "workspaces"], [])
	claim := workspace.persistentVolumeClaim.claimName
	result := lib.result_with_term(rego.metadata.chain(), [workspace.name, claim], workspace.name)
}

# METADATA
# title: Rule data provided
# description: allowed_pipeline_run_params is a list of parameter names.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data allowed_pipeline_run_params has an unexpected format: %s"
#   solution: Correct allowed_pipeline_run_params in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some msg in lib.schema_errors(lib.rule_data("allowed_pipeline_run_params"), lib.string_list_schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "allowed_pipeline_run_params")
}
