# METADATA
# title: SLSA provenance available
# description: The image has a provenance attestation of an accepted predicate type.
package release.slsa_provenance_available

import rego.v1

import data.konflux.lib

# METADATA
# title: Accepted provenance predicate type
# description: At least one attestation's predicateType is listed in allowed_predicate_types.
# custom:
#   short_name: attestation_predicate_type_accepted
#   failure_msg: "No attestation has an accepted predicate type; found: %s"
#   solution: Have Tekton Chains attest SLSA provenance (v0.2 or v1), or extend allowed_predicate_types.
#   collections: [minimal, slsa3, konflux]
deny contains result if {
	found := {t | some s in lib.statements; t := object.get(s, "predicateType", "")}
	count(found & {t | some t in lib.rule_data("allowed_predicate_types")}) == 0
	result := lib.result(rego.metadata.chain(), [_listing(found)])
}

_listing(types) := "none" if count(types) == 0
else := concat(", ", sort(types))

# METADATA
# title: Rule data provided
# description: allowed_predicate_types is a non-empty list of strings.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data allowed_predicate_types has an unexpected format: %s"
#   solution: Correct allowed_predicate_types in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some msg in lib.schema_errors(lib.rule_data("allowed_predicate_types"), lib.non_empty_string_list_schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "allowed_predicate_types")
}
