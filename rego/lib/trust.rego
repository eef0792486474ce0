package konflux.lib

import rego.v1

# Trusted tasks. rule_data("trusted_tasks") maps a task key (task_ref().key:
# "oci://repo:tag" or "git+URL//path") to records, newest first:
#   {"ref": digest or commit, "effective_on": date, "expires_on": date?}
# A task is trusted when its pin matches a record that has not expired.

# trust_records(ref) are the records of the task's key. A bundle referenced
# without a tag also matches keys of its repository with any tag.
trust_records(ref) := records if {
	records := lib_trusted_tasks[ref.key]
	is_array(records)
} else := [r |
	ref.kind == "bundle"
	startswith(ref.key, "oci://")
	some key, records in lib_trusted_tasks
	image_repo(trim_prefix(key, "oci://")) == trim_prefix(ref.key, "oci://")
	some r in records
]

lib_trusted_tasks := value if {
	value := rule_data("trusted_tasks")
	is_object(value)
	count(value) > 0
} else := value if {
	# `ec track bundle` / `konflux track bundle` data bundles: data.trusted_tasks,
	# records {ref, expires_on} newest first.
	value := data.trusted_tasks
	is_object(value)
} else := {}

# trust_record(ref) is the record matching the task's pin.
trust_record(ref) := record if {
	ref.pin != ""
	some record in trust_records(ref)
	record.ref == ref.pin
}

trusted(ref) if not expired(trust_record(ref))

# current(ref) holds when the pin is the newest record in effect.
current(ref) if current_record(trust_records(ref)).ref == ref.pin

# expires_within(ref, days) holds when the matching record expires in the
# next `days` days (and has not yet expired).
expires_within(ref, days) if {
	record := trust_record(ref)
	not expired(record)
	date_ns(record.expires_on) <= now_ns + days * day_ns
}

trusted_tasks_schema := {
	"$schema": "http://json-schema.org/draft-07/schema#",
	"type": "object",
	"patternProperties": {"^(oci://|git\\+).+": {
		"type": "array",
		"minItems": 1,
		"items": {
			"type": "object",
			"required": ["ref"],
			"properties": {
				"ref": {"type": "string", "minLength": 1},
				"effective_on": {"type": "string", "format": "date-time"},
				"expires_on": {"type": "string", "format": "date-time"},
			},
		},
	}},
	"additionalProperties": false,
}

# Required task records: newest first, each in effect from effective_on.
# A task entry is a Task name, or a list of alternatives.
required_tasks_schema := {
	"type": "array",
	"items": {
		"type": "object",
		"required": ["effective_on", "tasks"],
		"properties": {
			"effective_on": {"type": "string", "format": "date-time"},
			"tasks": {"type": "array", "items": {"oneOf": [
				{"type": "string", "minLength": 1},
				{"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
			]}},
		},
	},
}
