package release.slsa_build_build_service_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.slsa_build_build_service as service

test_builder_ok if {
	count(service.deny) == 0 with input as f.v02_input
	count(service.deny) == 0 with input as f.v1_input
}

test_builder_missing if {
	doc := json.patch(f.v1_input, [{"op": "remove", "path": "/attestations/0/statement/predicate/runDetails/builder/id"}])
	f.codes(service.deny) == {"release.slsa_build_build_service.slsa_builder_id_found"} with input as doc
}

test_builder_not_allowed if {
	doc := json.patch(f.v02_input, [{"op": "replace", "path": "/attestations/0/statement/predicate/builder/id", "value": "https://evil"}])
	some r in service.deny with input as doc
	r.code == "release.slsa_build_build_service.slsa_builder_id_accepted"
	r.term == "https://evil"
}

test_rule_data_format if {
	"release.slsa_build_build_service.rule_data_provided" in f.codes(service.deny) with input as f.v1_input
		with data.rule_data__configuration__ as {"allowed_builder_ids": "x"}
}
