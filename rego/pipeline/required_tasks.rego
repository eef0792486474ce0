# METADATA
# title: Pipeline required tasks
# description: >-
#   A Tekton Pipeline definition includes the tasks a release requires. The
#   records come from pipeline_required_tasks, keyed by the pipeline type
#   (label pipelines.openshift.io/type, else the pipeline's name); pipelines
#   without their own records use required_tasks.
package pipeline.required_tasks

import rego.v1

import data.konflux.lib

_pipeline_key := key if {
	key := input.metadata.labels["pipelines.openshift.io/type"]
	is_string(key)
} else := object.get(input, ["metadata", "name"], "")

_records := records if {
	records := lib.rule_data("pipeline_required_tasks")[_pipeline_key]
	is_array(records)
} else := records if {
	records := lib.rule_data("required_tasks")
	is_array(records)
} else := []

_tasks := lib.pipeline_tasks(input)

_names := {t.name | some t in _tasks} | {t.ref.name | some t in _tasks}

_satisfied(entry) if {
	is_string(entry)
	entry in _names
}

_satisfied(entry) if {
	is_array(entry)
	some alternative in entry
	alternative in _names
}

_entry_name(entry) := entry if is_string(entry)
else := concat(" or ", entry)

# METADATA
# title: Pipeline has tasks
# description: The pipeline defines at least one task.
# custom:
#   short_name: tasks_found
#   failure_msg: The pipeline defines no tasks
#   solution: Add the build tasks to the pipeline.
#   collections: [konflux]
deny contains result if {
	count(_tasks) == 0
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: Required tasks list provided
# description: A required tasks record is in effect for the pipeline.
# custom:
#   short_name: required_tasks_list_provided
#   failure_msg: No list of required tasks is in effect for pipeline %q
#   solution: Add required tasks records for the pipeline to the data (rego/data/required_tasks.yml).
#   collections: [konflux]
deny contains result if {
	not lib.current_record(_records)
	result := lib.result(rego.metadata.chain(), [_pipeline_key])
}

# METADATA
# title: Required tasks found
# description: Every task of the required tasks record in effect is in the pipeline.
# custom:
#   short_name: required_tasks_found
#   failure_msg: Required task %q is missing from pipeline %q
#   solution: Add the task to the pipeline.
#   collections: [konflux]
#   depends_on: [pipeline.required_tasks.tasks_found, pipeline.required_tasks.required_tasks_list_provided]
deny contains result if {
	count(_tasks) > 0
	some entry in lib.current_record(_records).tasks
	not _satisfied(entry)
	result := lib.result_with_term(rego.metadata.chain(), [_entry_name(entry), _pipeline_key], _entry_name(entry))
}

# METADATA
# title: Future required tasks found
# description: Every task of a record not yet in effect is in the pipeline.
# custom:
#   short_name: future_required_tasks_found
#   failure_msg: Task %q is missing; it becomes required on %s
#   solution: Add the task to the pipeline before the date.
#   collections: [konflux]
#   depends_on: [pipeline.required_tasks.tasks_found]
warn contains result if {
	count(_tasks) > 0
	some record in lib.future_records(_records)
	some entry in record.tasks
	not _satisfied(entry)
	result := lib.result_with_term(rego.metadata.chain(), [_entry_name(entry), record.effective_on], _entry_name(entry))
}

# METADATA
# title: Rule data provided
# description: pipeline_required_tasks maps pipeline types to required tasks records.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data pipeline_required_tasks has an unexpected format: %s"
#   solution: Correct pipeline_required_tasks in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	schema := {"type": "object", "additionalProperties": lib.required_tasks_schema}
	some msg in lib.schema_errors(lib.rule_data("pipeline_required_tasks"), schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "pipeline_required_tasks")
}
