package release.labels_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.labels

_labels := {"name": "app", "version": "1", "vendor": "Org", "summary": "s", "description": "d"}

_image(labels, parent) := {"image": {"ref": f.image_ref, "config": {"Labels": labels}, "parent": {"ref": "p", "config": {"config": {"Labels": parent}}}}}

test_labels_pass if {
	count(labels.deny) == 0 with input as _image(_labels, {"description": "base"})
	count(labels.warn) == 0 with input as _image(_labels, {})
}

test_required_missing if {
	some r in labels.deny with input as _image(object.remove(_labels, ["vendor"]), {})
	r.code == "release.labels.required_labels"
	r.msg == "The required label \"vendor\" is missing (Organisation that ships the image.)"
}

test_optional_missing_warns if {
	f.codes(labels.warn) == {"release.labels.optional_labels"} with input as _image(object.remove(_labels, ["summary"]), {})
}

test_deprecated_label if {
	some r in labels.deny with input as _image(object.union(_labels, {"INSTALL": "x"}), {})
	r.msg == "The label \"INSTALL\" is deprecated, use \"install\" instead"
}

test_inherited_label if {
	some r in labels.deny with input as _image(_labels, {"description": "d"})
	r.code == "release.labels.disallowed_inherited_labels"
	r.term == "description"
}

test_no_labels_at_all if {
	count(labels.deny) == 3 with input as {"image": {"ref": f.image_ref}}
}

test_rule_data_format if {
	f.codes(labels.deny) == {"release.labels.rule_data_provided"} with input as _image(_labels, {})
		with data.rule_data as {"required_labels": ["name"]}
}
