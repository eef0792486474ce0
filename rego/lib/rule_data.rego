package konflux.lib

import rego.v1

# rule_data(key) is the one configuration lookup of the library: the
# policy's ruleData (data.rule_data__configuration__) wins, then the data
# bundle (data.rule_data, from rego/data), then the defaults below.
# A key known nowhere is an empty list, so `some x in rule_data(k)` is safe.
rule_data(key) := value if {
	value := data.rule_data__configuration__[key]
} else := value if {
	value := data.rule_data[key]
} else := value if {
	value := rule_data_defaults[key]
} else := []

# The defaults mirror rego/data/rule_data.yml (tests/rego checks they agree);
# they keep the library usable without the data bundle.
rule_data_defaults := {
	"known_attestation_types": [
		"https://in-toto.io/Statement/v0.1",
		"https://in-toto.io/Statement/v1",
	],
	"allowed_predicate_types": [
		"https://slsa.dev/provenance/v0.2",
		"https://slsa.dev/provenance/v1",
	],
	"allowed_provenance_build_types": [
		"tekton.dev/v1beta1/PipelineRun",
		"tekton.dev/v1/PipelineRun",
		"https://tekton.dev/chains/v2/slsa",
		"https://tekton.dev/chains/v2/slsa-tekton",
	],
	"allowed_builder_ids": ["https://tekton.dev/chains/v2"],
	"supported_vcs": ["git"],
	"supported_digests": ["sha1", "gitCommit"],
	"required_tasks": [],
	"pipeline_required_tasks": {},
	"trusted_tasks": {},
	"task_expiry_warning_days": 30,
	"supported_test_results": ["SUCCESS", "FAILURE", "ERROR", "SKIPPED", "WARNING"],
	"failed_test_results": ["FAILURE"],
	"erred_test_results": ["ERROR"],
	"skipped_test_results": ["SKIPPED"],
	"warned_test_results": ["WARNING"],
	"informative_tests": [],
	"cve_report_result_names": ["REPORTS"],
	"restrict_cve_security_levels": ["critical", "high"],
	"warn_cve_security_levels": ["medium"],
	"restrict_unpatched_cve_security_levels": [],
	"warn_unpatched_cve_security_levels": ["critical", "high"],
	"cve_leeway": {"critical": 0, "high": 0, "medium": 0, "low": 0, "unknown": 0},
	"disallowed_packages": [],
	"supported_cyclonedx_versions": ["1.4", "1.5", "1.6"],
	"allowed_registry_prefixes": [
		"registry.access.redhat.com/",
		"registry.redhat.io/",
		"quay.io/konflux-ci/",
	],
	"required_labels": [
		{"name": "name", "description": "Name of the image."},
		{"name": "version", "description": "Version of the image."},
		{"name": "vendor", "description": "Organisation that ships the image."},
	],
	"optional_labels": [
		{"name": "summary", "description": "One-line summary of the image."},
		{"name": "description", "description": "Longer description of the image."},
	],
	"deprecated_labels": [{"name": "INSTALL", "replacement": "install"}],
	"disallowed_inherited_labels": [{"name": "description"}, {"name": "summary"}],
	"required_hermetic_tasks": ["buildah"],
	"disallowed_platform_patterns": [],
	"allowed_target_branch_patterns": ["^(refs/heads/)?main$", "^(refs/heads/)?release-.+$"],
	"disallowed_weekdays": [],
	"disallowed_dates": [],
	"allowed_pipeline_run_params": [
		"git-url", "revision", "output-image", "path-context", "dockerfile",
		"hermetic", "prefetch-input", "image-expires-after", "build-source-image",
		"build-platforms", "build-args-file",
	],
	"volatile_config_warning_threshold_days": 30,
	"allowed_step_image_registry_prefixes": [
		"registry.access.redhat.com/",
		"registry.redhat.io/",
		"quay.io/konflux-ci/",
	],
	"required_task_results": [
		{"task": "git-clone", "result": "url"},
		{"task": "git-clone", "result": "commit"},
		{"task": "buildah", "result": "IMAGE_URL"},
		{"task": "buildah", "result": "IMAGE_DIGEST"},
	],
}

# schema_errors(value, schema) lists the JSON Schema violations of value as
# strings; empty when value conforms. Rules in collection policy_data use it.
# The value is wrapped in an object because the engine's guarded
# json.match_schema accepts only object (or JSON text) documents.
schema_errors(value, schema) := [msg |
	wrapper := {
		"$schema": "http://json-schema.org/draft-07/schema#",
		"type": "object",
		"properties": {"value": object.remove(schema, ["$schema"])},
	}
	[ok, errors] := json.match_schema({"value": value}, wrapper)
	not ok
	some e in errors
	msg := sprintf("%s: %s", [_field(e.field), e.desc])
]

_field(field) := "(root)" if field == "value"
else := substring(field, 6, -1) if startswith(field, "value.")
else := field

# rule_data_errors(key, schema) checks the effective rule data of key.
rule_data_errors(key, schema) := [sprintf("%s %s", [key, msg]) |
	some msg in schema_errors(rule_data(key), schema)
]

# Schemas shared by several packages.
string_list_schema := {
	"$schema": "http://json-schema.org/draft-07/schema#",
	"type": "array",
	"items": {"type": "string", "minLength": 1},
	"uniqueItems": true,
}

non_empty_string_list_schema := object.union(string_list_schema, {"minItems": 1})

# pattern_list_errors(value, schema) checks a list of regular expressions:
# its schema, and that every pattern compiles.
pattern_list_errors(value, schema) := array.concat(schema_errors(value, schema), [msg |
	some pattern in value
	is_string(pattern)
	not regex.is_valid(pattern)
	msg := sprintf("%q is not a valid regular expression", [pattern])
])
