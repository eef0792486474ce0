package image_test

import rego.v1

import data.image

_config := {"rule_data__configuration__": {
	"required_labels": ["name"],
	"allowed_builder_ids": ["https://tekton.dev/chains/v2"],
}}

_provenance(builder) := {"statement": {
	"predicateType": "https://slsa.dev/provenance/v0.2",
	"predicate": {"builder": {"id": builder}},
}}

test_labelled_image_with_trusted_provenance_passes if {
	count(image.deny) == 0 with input as {
		"image": {"config": {"Labels": {"name": "a"}}},
		"attestations": [_provenance("https://tekton.dev/chains/v2")],
	}
		with data.rule_data__configuration__ as _config.rule_data__configuration__
}

test_missing_label_is_denied if {
	codes := {r.code | some r in image.deny} with input as {
		"image": {"config": {"Labels": {}}},
		"attestations": [_provenance("https://tekton.dev/chains/v2")],
	}
		with data.rule_data__configuration__ as _config.rule_data__configuration__
	codes == {"image.required_labels"}
}

test_missing_provenance_is_denied if {
	some r in image.deny with input as {"image": {"config": {"Labels": {"name": "a"}}}, "attestations": []}
		with data.rule_data__configuration__ as _config.rule_data__configuration__
	r.code == "image.provenance_present"
}

test_untrusted_builder_is_denied if {
	some r in image.deny with input as {
		"image": {"config": {"Labels": {"name": "a"}}},
		"attestations": [_provenance("https://example.com/evil")],
	}
		with data.rule_data__configuration__ as _config.rule_data__configuration__
	r.term == "https://example.com/evil"
}
