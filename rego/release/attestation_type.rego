# METADATA
# title: Attestation types
# description: >-
#   The image's attestations are in-toto statements of a known type, and one
#   of them is the provenance of a Tekton PipelineRun.
package release.attestation_type

import rego.v1

import data.konflux.lib

# METADATA
# title: Known attestation type
# description: Every attestation is an in-toto statement whose `_type` is listed in known_attestation_types.
# custom:
#   short_name: known_attestation_type
#   failure_msg: Unknown attestation type %q
#   solution: Attest the image with an in-toto statement of a known type, or add the type to known_attestation_types.
#   collections: [minimal, slsa3, konflux]
deny contains result if {
	some statement in lib.statements
	kind := object.get(statement, "_type", "")
	not kind in lib.rule_data("known_attestation_types")
	result := lib.result_with_term(rego.metadata.chain(), [kind], kind)
}

# METADATA
# title: PipelineRun provenance found
# description: >-
#   At least one attestation is a SLSA provenance whose build type is a
#   Tekton PipelineRun (allowed_provenance_build_types).
# custom:
#   short_name: pipelinerun_attestation_found
#   failure_msg: No provenance of a Tekton PipelineRun was found among %d attestations
#   solution: Build the image in a Tekton pipeline observed by Tekton Chains, which attests its provenance.
#   collections: [minimal, slsa3, konflux]
deny contains result if {
	count(lib.pipelinerun_provenances) == 0
	result := lib.result(rego.metadata.chain(), [count(lib.statements)])
}

# METADATA
# title: Rule data provided
# description: known_attestation_types and allowed_provenance_build_types are non-empty lists of strings.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data %s has an unexpected format: %s"
#   solution: Correct the rule data in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some key in ["known_attestation_types", "allowed_provenance_build_types"]
	some msg in lib.schema_errors(lib.rule_data(key), lib.non_empty_string_list_schema)
	result := lib.result_with_term(rego.metadata.chain(), [key, msg], key)
}
