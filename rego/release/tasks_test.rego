package release.tasks_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.tasks

_required := [
	{"effective_on": "2099-01-01T00:00:00Z", "tasks": ["git-clone", "buildah", "sast"]},
	{"effective_on": "2024-01-01T00:00:00Z", "tasks": ["git-clone", ["buildah", "kaniko"]]},
]

test_pipeline_passes if {
	count(tasks.deny) == 0 with input as f.v1_input with data.rule_data as {"required_tasks": _required}
}

test_no_tasks if {
	"release.tasks.pipeline_has_tasks" in f.codes(tasks.deny) with input as f.v1_input_with([]) with data.rule_data as {"required_tasks": _required}
}

test_failed_task if {
	t := json.patch(f.v02_task("buildah", f.build_results), [{"op": "replace", "path": "/status", "value": "Failed"}])
	some r in tasks.deny with input as f.v02_input_with([f.v02_task("git-clone", f.clone_results), t])
		with data.rule_data as {"required_tasks": _required}
	r.code == "release.tasks.successful_pipeline_tasks"
	r.msg == "Task \"buildah\" did not succeed (status \"Failed\")"
}

test_required_task_missing if {
	doc := f.v1_input_with([f.taskrun("buildah", f.build_results)])
	some r in tasks.deny with input as doc with data.rule_data as {"required_tasks": _required}
	r.code == "release.tasks.required_tasks_found"
	r.term == "git-clone"
}

test_alternative_missing if {
	doc := f.v1_input_with([f.taskrun("git-clone", f.clone_results)])
	some r in tasks.deny with input as doc with data.rule_data as {"required_tasks": _required}
	r.term == "buildah or kaniko"
}

test_future_required_task_warns if {
	some r in tasks.warn with input as f.v1_input with data.rule_data as {"required_tasks": _required}
	r.code == "release.tasks.future_required_tasks_found"
	r.term == "sast"
}

test_no_required_list if {
	"release.tasks.required_tasks_list_provided" in f.codes(tasks.deny) with input as f.v1_input with data.rule_data as {}
	"release.tasks.required_tasks_list_provided" in f.codes(tasks.deny) with input as f.v1_input with data.rule_data as {"required_tasks": "x"}
}

test_unpinned_task_warns if {
	t := json.patch(f.v02_task("buildah", f.build_results), [{"op": "replace", "path": "/ref", "value": {"name": "buildah", "kind": "Task"}}])
	some r in tasks.warn with input as f.v02_input_with([t])
	r.code == "release.tasks.pinned_task_refs"
	r.msg == "Task \"buildah\" is not pinned (local reference without a digest or commit)"
}

test_expiring_task_warns if {
	trusted := {"oci://quay.io/konflux-ci/tekton-catalog/task-buildah:0.1": [{"ref": f.bundle_digest, "expires_on": "2025-01-10T00:00:00Z"}]}
	now := time.parse_rfc3339_ns("2025-01-01T00:00:00Z")
	some r in tasks.warn with input as f.v1_input with data.rule_data as {"trusted_tasks": trusted} with data.config.policy.when_ns as now
	r.code == "release.tasks.task_expiring"
	not "release.tasks.task_expiring" in f.codes(tasks.warn) with input as f.v1_input with data.rule_data as {"trusted_tasks": trusted, "task_expiry_warning_days": 1} with data.config.policy.when_ns as now
}

test_rule_data_format if {
	"release.tasks.rule_data_provided" in f.codes(tasks.deny) with input as f.v1_input
		with data.rule_data as {"required_tasks": [{"tasks": []}], "task_expiry_warning_days": -1}
}

test_unreadable_task_fails if {
	s := f.v1_statement([f.taskrun("buildah", f.build_results)])
	bad := json.patch(s, [{"op": "add", "path": "/predicate/buildDefinition/resolvedDependencies/-", "value": {"name": "pipelineTask", "content": "bm90IGpzb24="}}])
	some r in tasks.deny with input as {"attestations": [f.attestation(bad)]}
	r.code == "release.tasks.successful_pipeline_tasks"
	r.msg == "Task \"<unreadable task #2>\" did not succeed (status \"Unreadable\")"
}
