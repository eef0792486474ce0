# Shared helpers of the rego/ policy library: result objects, rule data,
# time, image references, attestations and Tekton tasks.
package konflux.lib

import rego.v1

# result(chain, params) is the result of the rule that called it: `chain` is
# that rule's rego.metadata.chain(), `params` fill custom.failure_msg.
# The code is the declared package path followed by custom.short_name.
result(chain, params) := out if {
	annotated := chain[0]
	custom := annotated.annotations.custom
	rule_path := [segment |
		some i, segment in annotated.path
		not _leading_data(i, segment)
	]
	package_path := array.slice(rule_path, 0, count(rule_path) - 1)
	out := {
		"code": concat(".", array.concat(package_path, [custom.short_name])),
		"msg": sprintf(custom.failure_msg, params),
		"collections": object.get(custom, "collections", []),
	}
}

_leading_data(0, "data")

# result_with_term is result() plus the term the failure is about, which
# makes `code:term` selection and exclusion possible.
result_with_term(chain, params, term) := object.union(result(chain, params), {"term": term})
