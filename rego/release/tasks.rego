# METADATA
# title: Pipeline tasks
# description: >-
#   The build pipeline ran tasks, all of them succeeded, the tasks the
#   release requires were among them, and their definitions are pinned.
package release.tasks

import rego.v1

import data.konflux.lib

# METADATA
# title: Pipeline has tasks
# description: Every PipelineRun provenance records at least one task.
# custom:
#   short_name: pipeline_has_tasks
#   failure_msg: The PipelineRun provenance records no tasks
#   solution: Make sure Tekton Chains records the pipeline's tasks in the provenance.
#   collections: [minimal, konflux]
#   depends_on: [release.attestation_type.pipelinerun_attestation_found]
deny contains result if {
	some statement in lib.pipelinerun_provenances
	count(lib.tasks(statement)) == 0
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: All tasks succeeded
# description: Every task of the pipeline finished with status Succeeded.
# custom:
#   short_name: successful_pipeline_tasks
#   failure_msg: Task %q did not succeed (status %q)
#   solution: Fix the task and rebuild; an image from a pipeline with failed tasks cannot be released.
#   collections: [minimal, konflux]
#   depends_on: [release.tasks.pipeline_has_tasks]
deny contains result if {
	some task in lib.all_tasks
	task.status != "Succeeded"
	result := lib.result_with_term(rego.metadata.chain(), [task.name, task.status], task.name)
}

# METADATA
# title: Required tasks list provided
# description: The required_tasks data has a record in effect.
# custom:
#   short_name: required_tasks_list_provided
#   failure_msg: No list of required tasks is in effect
#   solution: Add rego/data/required_tasks.yml (or a required_tasks rule data entry) to the policy's data sources.
#   collections: [konflux]
deny contains result if {
	not lib.current_record(_required_records)
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: Required tasks found
# description: >-
#   Every task of the required tasks record in effect ran in the pipeline.
#   An entry that is a list is satisfied by any one of its tasks.
# custom:
#   short_name: required_tasks_found
#   failure_msg: Required task %q is missing from the pipeline
#   solution: Add the task to the build pipeline.
#   collections: [konflux]
#   depends_on: [release.tasks.pipeline_has_tasks, release.tasks.required_tasks_list_provided]
deny contains result if {
	count(lib.pipelinerun_provenances) > 0
	record := lib.current_record(_required_records)
	some entry in record.tasks
	not _satisfied(entry)
	result := lib.result_with_term(rego.metadata.chain(), [_entry_name(entry)], _entry_name(entry))
}

# METADATA
# title: Future required tasks found
# description: Every task of a required tasks record that is not yet in effect ran in the pipeline.
# custom:
#   short_name: future_required_tasks_found
#   failure_msg: Task %q is missing; it becomes required on %s
#   solution: Add the task to the build pipeline before the date.
#   collections: [konflux]
#   depends_on: [release.tasks.pipeline_has_tasks]
warn contains result if {
	count(lib.pipelinerun_provenances) > 0
	some record in lib.future_records(_required_records)
	some entry in record.tasks
	not _satisfied(entry)
	result := lib.result_with_term(rego.metadata.chain(), [_entry_name(entry), record.effective_on], _entry_name(entry))
}

# METADATA
# title: Task references pinned
# description: Every task definition comes from a bundle pinned by digest or a git repository pinned by commit.
# custom:
#   short_name: pinned_task_refs
#   failure_msg: Task %q is not pinned (%s reference without a digest or commit)
#   solution: Reference task bundles by digest (image@sha256:...) and git tasks by commit id.
#   collections: [konflux]
warn contains result if {
	some task in lib.all_tasks
	task.ref.pin == ""
	result := lib.result_with_term(rego.metadata.chain(), [task.name, task.ref.kind], task.name)
}

# METADATA
# title: Task not expiring
# description: No task's trusted record expires within task_expiry_warning_days.
# custom:
#   short_name: task_expiring
#   failure_msg: Task %q (%s) stops being trusted on %s
#   solution: Update the task to its newest trusted version.
#   collections: [konflux]
warn contains result if {
	days := lib.rule_data("task_expiry_warning_days")
	is_number(days)
	some task in lib.all_tasks
	lib.expires_within(task.ref, days)
	record := lib.trust_record(task.ref)
	result := lib.result_with_term(rego.metadata.chain(), [task.name, task.ref.ref, record.expires_on], task.name)
}

_required_records := records if {
	records := lib.rule_data("required_tasks")
	is_array(records)
} else := []

_task_names := {t.task | some t in lib.all_tasks} | {t.name | some t in lib.all_tasks}

_satisfied(entry) if {
	is_string(entry)
	entry in _task_names
}

_satisfied(entry) if {
	is_array(entry)
	some alternative in entry
	alternative in _task_names
}

_entry_name(entry) := entry if is_string(entry)
else := concat(" or ", entry)

# METADATA
# title: Rule data provided
# description: required_tasks is a list of records with effective_on and tasks; task_expiry_warning_days is a number of days.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data %s has an unexpected format: %s"
#   solution: Correct the rule data in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some key, schema in {
		"required_tasks": lib.required_tasks_schema,
		"task_expiry_warning_days": {"type": "integer", "minimum": 0},
	}
	some msg in lib.schema_errors(lib.rule_data(key), schema)
	result := lib.result_with_term(rego.metadata.chain(), [key, msg], key)
}
