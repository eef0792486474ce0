package release.trusted_task_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.trusted_task

_key := "oci://quay.io/konflux-ci/tekton-catalog/task-buildah:0.1"

test_all_trusted if {
	count(trusted_task.deny) == 0 with input as f.v1_input with data.rule_data as {"trusted_tasks": f.trusted_tasks}
	count(trusted_task.warn) == 0 with input as f.v1_input with data.rule_data as {"trusted_tasks": f.trusted_tasks}
}

test_no_data if {
	"release.trusted_task.data_provided" in f.codes(trusted_task.deny) with input as f.v1_input
}

test_untrusted_bundle if {
	data_set := object.remove(f.trusted_tasks, [_key])
	some r in trusted_task.deny with input as f.v1_input with data.rule_data as {"trusted_tasks": data_set}
	r.code == "release.trusted_task.trusted"
	r.term == "buildah"
	endswith(r.msg, sprintf("(%s) is not in the trusted tasks data", [_key]))
}

test_expired_bundle if {
	data_set := object.union(f.trusted_tasks, {_key: [{"ref": f.bundle_digest, "expires_on": "2024-01-01T00:00:00Z"}]})
	some r in trusted_task.deny with input as f.v1_input with data.rule_data as {"trusted_tasks": data_set}
	r.msg == sprintf("Task \"buildah\" is not trusted: %s expired on 2024-01-01T00:00:00Z", [f.bundle("buildah")])
}

test_unpinned_task if {
	t := json.patch(f.v02_task("buildah", f.build_results), [{"op": "replace", "path": "/ref/bundle", "value": "quay.io/konflux-ci/tekton-catalog/task-buildah:0.1"}])
	some r in trusted_task.deny with input as f.v02_input_with([t]) with data.rule_data as {"trusted_tasks": f.trusted_tasks}
	r.msg == "Task \"buildah\" is not trusted: its bundle reference is not pinned"
}

test_outdated_task_warns if {
	data_set := object.union(f.trusted_tasks, {_key: [
		{"ref": "sha256:3333333333333333333333333333333333333333333333333333333333333333", "effective_on": "2025-01-01T00:00:00Z"},
		{"ref": f.bundle_digest, "effective_on": "2024-01-01T00:00:00Z"},
	]})
	some r in trusted_task.warn with input as f.v1_input with data.rule_data as {"trusted_tasks": data_set}
	r.code == "release.trusted_task.current"
	count(trusted_task.deny) == 0 with input as f.v1_input with data.rule_data as {"trusted_tasks": data_set}
}

test_rule_data_format if {
	"release.trusted_task.rule_data_provided" in f.codes(trusted_task.deny) with input as f.v1_input
		with data.rule_data as {"trusted_tasks": {"quay.io/no-scheme": [{"ref": "x"}]}}
}
