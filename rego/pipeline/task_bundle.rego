# METADATA
# title: Pipeline task references
# description: >-
#   Every task of a Tekton Pipeline definition comes from a task bundle or git
#   repository, pinned, trusted, and preferably the newest trusted version.
package pipeline.task_bundle

import rego.v1

import data.konflux.lib

_tasks := lib.pipeline_tasks(input)

# METADATA
# title: Remote task reference
# description: Every task is referenced from a bundle or a git repository, not from the cluster or inline.
# custom:
#   short_name: remote_task_reference
#   failure_msg: Task %q is not referenced from a bundle or a git repository (%s reference)
#   solution: Reference the task with the bundles or git resolver.
#   collections: [konflux]
deny contains result if {
	some task in _tasks
	not task.ref.kind in {"bundle", "git"}
	result := lib.result_with_term(rego.metadata.chain(), [task.name, task.ref.kind], task.name)
}

# METADATA
# title: Task reference pinned
# description: Every bundle is referenced by digest and every git task by commit.
# custom:
#   short_name: pinned
#   failure_msg: Task %q is not pinned (%s)
#   solution: Reference the bundle by digest (image@sha256:...) or the git revision by commit id.
#   collections: [konflux]
deny contains result if {
	some task in _tasks
	task.ref.kind in {"bundle", "git"}
	task.ref.pin == ""
	result := lib.result_with_term(rego.metadata.chain(), [task.name, task.ref.ref], task.name)
}

# METADATA
# title: Task trusted
# description: Every pinned task matches an unexpired record in the trusted_tasks data.
# custom:
#   short_name: trusted
#   failure_msg: Task %q (%s) is not a trusted task
#   solution: Use a task version listed in the trusted_tasks data.
#   collections: [konflux]
deny contains result if {
	some task in _tasks
	task.ref.pin != ""
	not lib.trusted(task.ref)
	result := lib.result_with_term(rego.metadata.chain(), [task.name, task.ref.ref], task.name)
}

# METADATA
# title: Task up to date
# description: Every trusted task is the newest trusted version of its key.
# custom:
#   short_name: current
#   failure_msg: Task %q (%s) is out of date; a newer version is trusted
#   solution: Update the task reference to the newest trusted version.
#   collections: [konflux]
warn contains result if {
	some task in _tasks
	lib.trusted(task.ref)
	not lib.current(task.ref)
	result := lib.result_with_term(rego.metadata.chain(), [task.name, task.ref.ref], task.name)
}

# METADATA
# title: Rule data provided
# description: trusted_tasks maps task keys to lists of records with a ref.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data trusted_tasks has an unexpected format: %s"
#   solution: Correct the trusted_tasks data.
#   collections: [policy_data, konflux]
deny contains result if {
	some msg in lib.schema_errors(lib.rule_data("trusted_tasks"), lib.trusted_tasks_schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "trusted_tasks")
}
