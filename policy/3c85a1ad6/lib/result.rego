package lib

import rego.v1

# result_helper builds a Conforma-style result from the calling rule's
# annotations: code from the package and custom.short_name, msg from
# custom.failure_msg formatted with params.
result_helper(chain, params) := result if {
	rule := chain[0].annotations
	path := [p | some p in chain[0].path; p != "data"]
	pkg_path := array.slice(path, 0, count(path) - 1)
	result := {
		"code": concat(".", array.concat(pkg_path, [rule.custom.short_name])),
		"msg": sprintf(rule.custom.failure_msg, params),
		"collections": object.get(rule.custom, "collections", []),
		"effective_on": object.get(rule.custom, "effective_on", "2022-01-01T00:00:00Z"),
	}
}

result_helper_with_term(chain, params, term) := object.union(result_helper(chain, params), {"term": term})

# rule_data reads configuration: the policy's ruleData wins over data files.
rule_data(key) := value if {
	value := data.rule_data__configuration__[key]
} else := value if {
	value := data.rule_data[key]
} else := []
