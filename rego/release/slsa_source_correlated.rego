# METADATA
# title: SLSA source correlated
# description: >-
#   The source the release expects (the Snapshot component's git URL and
#   revision, in input.image.source) is a source the provenance attests.
package release.slsa_source_correlated

import rego.v1

import data.konflux.lib

# METADATA
# title: Expected source provided
# description: The input names the expected source of the image (image.source, from the Snapshot).
# custom:
#   short_name: source_code_reference_provided
#   failure_msg: The expected source code reference of the image is not known
#   solution: Validate the image as part of a Snapshot whose component has a git source with URL and revision.
#   collections: [slsa3, konflux]
warn contains result if {
	count(object.get(input, ["image", "source"], {})) == 0
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: Attested source found
# description: The provenance attests at least one version-controlled source (a supported VCS URI with a supported digest).
# custom:
#   short_name: attested_source_code_reference
#   failure_msg: The provenance attests no version-controlled source
#   solution: Build from a git repository so that Tekton Chains records the source in the provenance.
#   collections: [slsa3, konflux]
deny contains result if {
	count(_attested) == 0
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: Expected source attested
# description: The expected source (URL and revision) is among the sources the provenance attests.
# custom:
#   short_name: expected_source_code_reference
#   failure_msg: The expected source %s is not attested; the provenance has %s
#   solution: Release the image built from the commit the Snapshot names.
#   collections: [slsa3, konflux]
#   depends_on: [release.slsa_source_correlated.attested_source_code_reference]
deny contains result if {
	count(_attested) > 0
	some vcs, info in input.image.source
	expected := sprintf("%s+%s@%s", [vcs, object.get(info, "url", ""), object.get(info, "revision", "")])
	count(_variants(vcs, object.get(info, "url", ""), object.get(info, "revision", "")) & _attested) == 0
	result := lib.result_with_term(rego.metadata.chain(), [expected, concat(", ", sort(_attested))], expected)
}

# _attested are "vcs+url@revision" strings of the attested sources.
_attested contains sprintf("%s@%s", [material.uri, value]) if {
	some statement in lib.pipelinerun_provenances
	some material in lib.materials(statement)
	some vcs in lib.rule_data("supported_vcs")
	startswith(material.uri, sprintf("%s+", [vcs]))
	some algorithm, value in material.digest
	algorithm in lib.rule_data("supported_digests")
}

# A URL matches with or without a trailing slash or ".git".
_variants(vcs, url, revision) := {sprintf("%s+%s@%s", [vcs, u, revision]) |
	base := trim_suffix(trim_suffix(url, "/"), ".git")
	some u in {base, sprintf("%s.git", [base]), sprintf("%s/", [base])}
}

# METADATA
# title: Rule data provided
# description: supported_vcs and supported_digests are non-empty lists of strings.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data %s has an unexpected format: %s"
#   solution: Correct the rule data in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some key in ["supported_vcs", "supported_digests"]
	some msg in lib.schema_errors(lib.rule_data(key), lib.non_empty_string_list_schema)
	result := lib.result_with_term(rego.metadata.chain(), [key, msg], key)
}
