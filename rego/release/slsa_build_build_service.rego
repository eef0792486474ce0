# METADATA
# title: SLSA build service
# description: The provenance names the build service that produced the image, and it is an allowed one.
package release.slsa_build_build_service

import rego.v1

import data.konflux.lib

# METADATA
# title: Builder id found
# description: Every SLSA provenance has a builder id (v0.2 `builder.id`, v1 `runDetails.builder.id`).
# custom:
#   short_name: slsa_builder_id_found
#   failure_msg: A provenance has no builder id
#   solution: Use a build service that records its builder id in the provenance, such as Tekton Chains.
#   collections: [slsa3, konflux]
deny contains result if {
	some statement in lib.provenances
	not _has_builder_id(statement)
	result := lib.result(rego.metadata.chain(), [])
}

_has_builder_id(statement) if {
	id := lib.builder_id(statement)
	is_string(id)
	id != ""
}

# METADATA
# title: Builder id accepted
# description: Every builder id is listed in allowed_builder_ids.
# custom:
#   short_name: slsa_builder_id_accepted
#   failure_msg: Builder id %q is not allowed
#   solution: Build the image with an allowed build service, or add its id to allowed_builder_ids.
#   collections: [slsa3, konflux]
#   depends_on: [release.slsa_build_build_service.slsa_builder_id_found]
deny contains result if {
	some statement in lib.provenances
	_has_builder_id(statement)
	id := lib.builder_id(statement)
	not id in lib.rule_data("allowed_builder_ids")
	result := lib.result_with_term(rego.metadata.chain(), [id], id)
}

# METADATA
# title: Rule data provided
# description: allowed_builder_ids is a non-empty list of strings.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data allowed_builder_ids has an unexpected format: %s"
#   solution: Correct allowed_builder_ids in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some msg in lib.schema_errors(lib.rule_data("allowed_builder_ids"), lib.non_empty_string_list_schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "allowed_builder_ids")
}
