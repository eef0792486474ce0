# METADATA
# title: Task results
# description: >-
#   Tekton Task definitions declare the results other checks rely on
#   (required_task_results: [{"task": name, "result": result name}]).
package task.results

import rego.v1

import data.konflux.lib

# METADATA
# title: Required results declared
# description: A Task named in required_task_results declares each result listed for it.
# custom:
#   short_name: required
#   failure_msg: Task %q does not declare the required result %q
#   solution: Declare the result in the Task's spec.results.
#   collections: [konflux]
deny contains result if {
	name := input.metadata.name
	declared := {r.name | some r in object.get(input, ["spec", "results"], [])}
	some required in lib.rule_data("required_task_results")
	required.task == name
	not required.result in declared
	result := lib.result_with_term(rego.metadata.chain(), [name, required.result], required.result)
}

# METADATA
# title: Rule data provided
# description: required_task_results is a list of {task, result} objects.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data required_task_results has an unexpected format: %s"
#   solution: Correct required_task_results in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	schema := {"type": "array", "items": {
		"type": "object",
		"required": ["task", "result"],
		"properties": {"task": {"type": "string"}, "result": {"type": "string"}},
	}}
	some msg in lib.schema_errors(lib.rule_data("required_task_results"), schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "required_task_results")
}
