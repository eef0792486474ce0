package lib_test

import rego.v1

import data.lib

test_rule_data_prefers_policy_configuration if {
	lib.rule_data("x") == ["a"] with data.rule_data__configuration__ as {"x": ["a"]}
		with data.rule_data as {"x": ["b"]}
}

test_rule_data_falls_back_to_data if {
	lib.rule_data("x") == ["b"] with data.rule_data as {"x": ["b"]}
}

test_rule_data_defaults_to_empty if {
	lib.rule_data("missing") == []
}
