# METADATA
# title: Trusted tasks
# description: >-
#   Every task of the build pipeline is a trusted task: its definition is
#   pinned (bundle digest or git commit) and listed in the trusted_tasks data,
#   and preferably the newest trusted version.
package release.trusted_task

import rego.v1

import data.konflux.lib

# METADATA
# title: Trusted tasks data provided
# description: The trusted_tasks data lists at least one task.
# custom:
#   short_name: data_provided
#   failure_msg: No trusted tasks data is available
#   solution: Add rego/data/trusted_tasks.yml (maintained with `konflux policy track-task`) to the policy's data sources.
#   collections: [slsa3, konflux]
deny contains result if {
	count(lib.lib_trusted_tasks) == 0
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: Task is trusted
# description: >-
#   Every task's definition is pinned and its pin matches an unexpired record
#   of its key in the trusted_tasks data.
# custom:
#   short_name: trusted
#   failure_msg: "Task %q is not trusted: %s"
#   solution: Use a task bundle or git revision listed in the trusted_tasks data; refresh the data with `konflux policy track-task`.
#   collections: [slsa3, konflux]
#   depends_on: [release.trusted_task.data_provided]
deny contains result if {
	some task in lib.all_tasks
	not lib.trusted(task.ref)
	result := lib.result_with_term(rego.metadata.chain(), [task.name, _reason(task.ref)], task.name)
}

_reason(ref) := sprintf("its %s reference is not pinned", [ref.kind]) if ref.pin == ""
else := sprintf("%s expired on %s", [ref.ref, lib.trust_record(ref).expires_on]) if lib.trust_record(ref)
else := sprintf("%s (%s) is not in the trusted tasks data", [ref.ref, ref.key])

# METADATA
# title: Task is current
# description: Every trusted task is the newest trusted version of its key.
# custom:
#   short_name: current
#   failure_msg: A newer version of task %q is trusted than %s
#   solution: Update the pipeline to the newest version of the task.
#   collections: [konflux]
warn contains result if {
	some task in lib.all_tasks
	lib.trusted(task.ref)
	not lib.current(task.ref)
	result := lib.result_with_term(rego.metadata.chain(), [task.name, task.ref.ref], task.name)
}

# METADATA
# title: Rule data provided
# description: trusted_tasks maps task keys (oci://... or git+...) to lists of records with a ref.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data trusted_tasks has an unexpected format: %s"
#   solution: Correct the trusted_tasks data; `konflux policy track-task` writes it in the right shape.
#   collections: [policy_data, konflux]
deny contains result if {
	some msg in lib.schema_errors(lib.rule_data("trusted_tasks"), lib.trusted_tasks_schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "trusted_tasks")
}
