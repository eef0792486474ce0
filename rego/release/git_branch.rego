# METADATA
# title: Git branch
# description: >-
#   The image was built from an allowed branch, as the build's tasks record
#   it in the build.appstudio.redhat.com/target_branch annotation.
package release.git_branch

import rego.v1

import data.konflux.lib

_branch_annotation := "build.appstudio.redhat.com/target_branch"

# METADATA
# title: Allowed target branch
# description: Every recorded target branch matches one of allowed_target_branch_patterns.
# custom:
#   short_name: git_branch
#   failure_msg: Build target branch %q is not allowed
#   solution: Release images built from an allowed branch (see allowed_target_branch_patterns).
#   collections: [konflux]
deny contains result if {
	branches := {b | some task in lib.all_tasks; b := task.annotations[_branch_annotation]}
	some branch in branches
	not _allowed(branch)
	result := lib.result_with_term(rego.metadata.chain(), [branch], branch)
}

_allowed(branch) if {
	some pattern in lib.rule_data("allowed_target_branch_patterns")
	regex.match(pattern, branch)
}

# METADATA
# title: Rule data provided
# description: allowed_target_branch_patterns is a non-empty list of valid regular expressions.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data allowed_target_branch_patterns has an unexpected format: %s"
#   solution: Correct allowed_target_branch_patterns in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some msg in lib.pattern_list_errors(lib.rule_data("allowed_target_branch_patterns"), lib.non_empty_string_list_schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "allowed_target_branch_patterns")
}
