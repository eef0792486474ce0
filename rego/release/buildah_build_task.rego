# METADATA
# title: Buildah build task
# description: The buildah build task ran with safe parameters.
package release.buildah_build_task

import rego.v1

import data.konflux.lib

_buildah_tasks contains task if {
	some task in lib.all_tasks
	startswith(task.task, "buildah")
}

# METADATA
# title: Local Containerfile
# description: The DOCKERFILE parameter names a file in the source repository, not a URL fetched at build time.
# custom:
#   short_name: buildah_uses_local_dockerfile
#   failure_msg: Task %q builds from a remote Containerfile %q
#   solution: Keep the Containerfile in the source repository, so the provenance covers it.
#   collections: [konflux]
deny contains result if {
	some task in _buildah_tasks
	file := object.get(task.params, "DOCKERFILE", "")
	regex.match(`^[a-zA-Z][a-zA-Z0-9+.-]*://`, file)
	result := lib.result_with_term(rego.metadata.chain(), [task.name, file], task.name)
}

# METADATA
# title: No added capabilities
# description: The ADD_CAPABILITIES parameter is empty.
# custom:
#   short_name: add_capabilities_param
#   failure_msg: Task %q adds capabilities %q to the build
#   solution: Build without extra capabilities.
#   collections: [konflux]
deny contains result if {
	some task in _buildah_tasks
	caps := object.get(task.params, "ADD_CAPABILITIES", "")
	trim_space(caps) != ""
	result := lib.result_with_term(rego.metadata.chain(), [task.name, caps], task.name)
}

# METADATA
# title: Build platform allowed
# description: The PLATFORM parameter matches none of the disallowed_platform_patterns.
# custom:
#   short_name: platform_param
#   failure_msg: Task %q builds for the disallowed platform %q
#   solution: Build for an allowed platform.
#   collections: [konflux]
deny contains result if {
	some task in _buildah_tasks
	platform := object.get(task.params, "PLATFORM", "")
	some pattern in lib.rule_data("disallowed_platform_patterns")
	regex.match(pattern, platform)
	result := lib.result_with_term(rego.metadata.chain(), [task.name, platform], task.name)
}

# METADATA
# title: Not privileged nested
# description: The PRIVILEGED_NESTED parameter is not true.
# custom:
#   short_name: privileged_nested_param
#   failure_msg: Task %q ran a privileged nested build
#   solution: Set PRIVILEGED_NESTED to false.
#   collections: [konflux]
deny contains result if {
	some task in _buildah_tasks
	object.get(task.params, "PRIVILEGED_NESTED", "false") == "true"
	result := lib.result_with_term(rego.metadata.chain(), [task.name], task.name)
}

# METADATA
# title: Rule data provided
# description: disallowed_platform_patterns is a list of regular expressions.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data disallowed_platform_patterns has an unexpected format: %s"
#   solution: Correct disallowed_platform_patterns in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some msg in lib.pattern_list_errors(lib.rule_data("disallowed_platform_patterns"), lib.string_list_schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "disallowed_platform_patterns")
}
