package release.slsa_provenance_available_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.slsa_provenance_available as available

test_provenance_accepted if {
	count(available.deny) == 0 with input as f.v1_input
}

test_no_accepted_predicate if {
	doc := json.patch(f.v02_input, [{"op": "replace", "path": "/attestations/0/statement/predicateType", "value": "https://example.com/other"}])
	some r in available.deny with input as doc
	r.code == "release.slsa_provenance_available.attestation_predicate_type_accepted"
	r.msg == "No attestation has an accepted predicate type; found: https://example.com/other"
}

test_no_attestations if {
	some r in available.deny with input as {"attestations": []}
	r.msg == "No attestation has an accepted predicate type; found: none"
}

test_rule_data_format if {
	f.codes(available.deny) == {"release.slsa_provenance_available.rule_data_provided", "release.slsa_provenance_available.attestation_predicate_type_accepted"} with input as f.v1_input
		with data.rule_data__configuration__ as {"allowed_predicate_types": []}
}
