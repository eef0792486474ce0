package release.base_image_registries_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.base_image_registries as registries

test_allowed_base_image if {
	count(registries.deny) == 0 with input as f.sbom_input
}

test_no_base_image_info if {
	f.codes(registries.deny) == {"release.base_image_registries.base_image_info_found"} with input as f.v1_input
}

test_disallowed_registry if {
	doc := json.patch(f.sbom_input, [{"op": "replace", "path": "/attestations/1/statement/predicate/components/0", "value": f.base_image("docker.io/library/alpine")}])
	some r in registries.deny with input as doc
	r.code == "release.base_image_registries.base_image_permitted"
	r.term == "docker.io/library/alpine"
}

test_parent_image_checked if {
	doc := json.patch(f.v1_input, [{"op": "add", "path": "/image/parent", "value": {"ref": "docker.io/library/alpine:3"}}])
	f.codes(registries.deny) == {"release.base_image_registries.base_image_permitted"} with input as doc
}

test_rule_data_format if {
	"release.base_image_registries.rule_data_provided" in f.codes(registries.deny) with input as f.sbom_input
		with data.rule_data as {"allowed_registry_prefixes": []}
}
