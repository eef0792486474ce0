package konflux.data_test

import rego.v1

import data.konflux.lib

# The data sets have their own files; every other key of rule_data.yml must
# equal the library default, so a policy without the data bundle behaves the same.
_data_sets := {"required_tasks", "pipeline_required_tasks", "trusted_tasks"}

# rego/data mounted as a directory of `rego/` (data.data), or on its own.
_file := data.data.rule_data if data.data.rule_data
else := data.rule_data

test_rule_data_file_matches_library_defaults if {
	object.remove(_file, _data_sets) == object.remove(lib.rule_data_defaults, _data_sets)
}

test_data_sets_are_valid if {
	lib.schema_errors(_file.required_tasks, lib.required_tasks_schema) == []
	lib.schema_errors(_file.trusted_tasks, lib.trusted_tasks_schema) == []
	count(_file.required_tasks) > 0
	count(_file.pipeline_required_tasks) > 0
}
