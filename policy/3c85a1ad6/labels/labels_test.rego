package labels_test

import rego.v1

import data.labels

_required := {"rule_data__configuration__": {"required_labels": ["name", "version"]}}

test_all_required_labels_present if {
	count(labels.deny) == 0 with input as {"config": {"Labels": {"name": "a", "version": "1"}}}
		with data.rule_data__configuration__ as _required.rule_data__configuration__
}

test_missing_label_is_denied if {
	codes := {r.term | some r in labels.deny} with input as {"config": {"Labels": {"name": "a"}}}
		with data.rule_data__configuration__ as _required.rule_data__configuration__
	codes == {"version"}
}

test_bad_maintainer_is_denied if {
	some r in labels.deny with input as {"config": {"Labels": {"maintainer": "nobody"}}}
	r.code == "labels.maintainer_email"
}

test_deprecated_label_warns if {
	some r in labels.warn with input as {"config": {"Labels": {"old": "x"}}}
		with data.rule_data__configuration__ as {"deprecated_labels": ["old"]}
	r.term == "old"
}
