package release.attestation_type_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.attestation_type

test_known_types_pass if {
	count(attestation_type.deny) == 0 with input as f.v02_input
	count(attestation_type.deny) == 0 with input as f.v1_input
}

test_unknown_type if {
	doc := json.patch(f.v1_input, [{"op": "replace", "path": "/attestations/0/statement/_type", "value": "x"}])
	f.codes(attestation_type.deny) == {"release.attestation_type.known_attestation_type"} with input as doc
	some r in attestation_type.deny with input as doc
	r.term == "x"
}

test_no_pipelinerun_provenance if {
	doc := json.patch(f.v02_input, [{"op": "replace", "path": "/attestations/0/statement/predicate/buildType", "value": "other"}])
	f.codes(attestation_type.deny) == {"release.attestation_type.pipelinerun_attestation_found"} with input as doc
	f.codes(attestation_type.deny) == {"release.attestation_type.pipelinerun_attestation_found"} with input as {"attestations": []}
}

test_rule_data_format if {
	f.codes(attestation_type.deny) == {"release.attestation_type.rule_data_provided"} with input as f.v1_input
		with data.rule_data__configuration__ as {"known_attestation_types": ["https://in-toto.io/Statement/v1"], "allowed_provenance_build_types": [1, "https://tekton.dev/chains/v2/slsa-tekton"]}
}
