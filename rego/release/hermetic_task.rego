# METADATA
# title: Hermetic build
# description: The build tasks that can run hermetically (required_hermetic_tasks) did, with network access cut off.
package release.hermetic_task

import rego.v1

import data.konflux.lib

# METADATA
# title: Build task hermetic
# description: Every task named in required_hermetic_tasks ran with the HERMETIC parameter set to true.
# custom:
#   short_name: hermetic
#   failure_msg: Task %q did not run hermetically (HERMETIC=%q)
#   solution: Set the HERMETIC parameter of the build task to "true" and prefetch the dependencies.
#   collections: [konflux]
deny contains result if {
	some task in lib.all_tasks
	task.task in lib.rule_data("required_hermetic_tasks")
	value := object.get(task.params, "HERMETIC", "")
	value != "true"
	result := lib.result_with_term(rego.metadata.chain(), [task.name, value], task.name)
}

# METADATA
# title: Rule data provided
# description: required_hermetic_tasks is a list of Task names.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data required_hermetic_tasks has an unexpected format: %s"
#   solution: Correct required_hermetic_tasks in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some msg in lib.schema_errors(lib.rule_data("required_hermetic_tasks"), lib.string_list_schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "required_hermetic_tasks")
}
