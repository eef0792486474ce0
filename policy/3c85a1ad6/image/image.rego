# METADATA
# title: Release image basics
# description: >-
#   Checks a release image carries its labels and a SLSA provenance from an
#   allowed builder. Input is what `konflux validate image` builds per image.
package image

import rego.v1

import data.lib

# METADATA
# title: Required labels
# description: The image configuration carries every label listed in required_labels.
# custom:
#   short_name: required_labels
#   failure_msg: The required label %q is missing from the image
#   solution: Add the label with a LABEL instruction in the Containerfile.
#   collections:
#   - demo
deny contains result if {
	some name in lib.rule_data("required_labels")
	not input.image.config.Labels[name]
	result := lib.result_helper_with_term(rego.metadata.chain(), [name], name)
}

# METADATA
# title: Provenance present
# description: A SLSA provenance attestation about the image was verified.
# custom:
#   short_name: provenance_present
#   failure_msg: No SLSA provenance attestation was found for the image
#   solution: Build the image with a pipeline whose provenance is signed (Tekton Chains).
#   collections:
#   - demo
deny contains result if {
	count(_provenances) == 0
	result := lib.result_helper(rego.metadata.chain(), [])
}

# METADATA
# title: Allowed builder
# description: The provenance names a builder listed in allowed_builder_ids.
# custom:
#   short_name: allowed_builder
#   failure_msg: The builder %q is not allowed
#   solution: Build the image on a trusted build service.
#   collections:
#   - demo
#   depends_on:
#   - image.provenance_present
deny contains result if {
	some statement in _provenances
	builder := object.get(statement.predicate, ["builder", "id"], "")
	not builder in lib.rule_data("allowed_builder_ids")
	result := lib.result_helper_with_term(rego.metadata.chain(), [builder], builder)
}

_provenance_types := {"https://slsa.dev/provenance/v0.2", "https://slsa.dev/provenance/v1"}

_provenances contains att.statement if {
	some att in input.attestations
	att.statement.predicateType in _provenance_types
}
