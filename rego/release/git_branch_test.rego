package release.git_branch_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.git_branch

_on_branch(branch) := f.v1_input_with([json.patch(f.taskrun("buildah", f.build_results), [{"op": "replace", "path": "/metadata/annotations", "value": {"build.appstudio.redhat.com/target_branch": branch}}])])

test_allowed_branch if {
	count(git_branch.deny) == 0 with input as _on_branch("main")
	count(git_branch.deny) == 0 with input as _on_branch("refs/heads/release-1.2")
}

test_disallowed_branch if {
	some r in git_branch.deny with input as _on_branch("feature-x")
	r.code == "release.git_branch.git_branch"
	r.term == "feature-x"
}

test_rule_data_format if {
	f.codes(git_branch.deny) == {"release.git_branch.rule_data_provided"} with input as _on_branch("main")
		with data.rule_data as {"allowed_target_branch_patterns": ["main", "("]}
	"release.git_branch.rule_data_provided" in f.codes(git_branch.deny) with input as _on_branch("main")
		with data.rule_data as {"allowed_target_branch_patterns": []}
}
