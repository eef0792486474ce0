package konflux.lib_test

import rego.v1

import data.konflux.lib
import data.konflux.lib.fixtures as f

test_v02_and_v1_give_the_same_tasks if {
	v02 := lib.all_tasks with input as f.v02_input
	v1 := lib.all_tasks with input as f.v1_input
	{t.name | some t in v02} == {"git-clone", "buildah"}
	{[t.name, t.task, t.status, t.results, t.ref.key, t.ref.pin] | some t in v02} == {[t.name, t.task, t.status, t.results, t.ref.key, t.ref.pin] | some t in v1}
}

test_v02_task_shape if {
	some t in lib.all_tasks with input as f.v02_input
	t.name == "buildah"
	t.ref == {
		"kind": "bundle", "name": "buildah", "pin": f.bundle_digest, "ref": f.bundle("buildah"),
		"key": "oci://quay.io/konflux-ci/tekton-catalog/task-buildah:0.1",
	}
	t.results.IMAGE_DIGEST == f.digest
	t.steps == [{"name": "run", "image": "registry.access.redhat.com/ubi9@sha256:aa"}]
}

test_v1_failed_taskrun_status if {
	run := json.patch(f.taskrun("buildah", {}), [{"op": "replace", "path": "/status/conditions/0", "value": {"type": "Succeeded", "status": "False", "reason": "Failed"}}])
	tasks := lib.tasks(f.v1_statement([run]))
	[t.status | some t in tasks] == ["Failed"]
}

test_v1_unknown_status_without_condition if {
	run := json.patch(f.taskrun("buildah", {}), [{"op": "replace", "path": "/status/conditions", "value": []}])
	[t.status | some t in lib.tasks(f.v1_statement([run]))] == ["Unknown"]
}

test_v1_task_results_in_task_results_field if {
	run := json.patch(f.taskrun("buildah", {}), [
		{"op": "remove", "path": "/status/results"},
		{"op": "add", "path": "/status/taskResults", "value": [{"name": "X", "value": "1"}]},
	])
	[t.results | some t in lib.tasks(f.v1_statement([run]))] == [{"X": "1"}]
}

test_v1_undecodable_content_is_an_unreadable_task if {
	s := f.v1_statement([])
	bad := json.patch(s, [{"op": "add", "path": "/predicate/buildDefinition/resolvedDependencies/-", "value": {"name": "pipelineTask", "content": "%%%"}}])
	[[t.name, t.status, t.ref.pin] | some t in lib.tasks(bad)] == [["<unreadable task #1>", "Unreadable", ""]]
}

test_v1_task_name_from_label_without_ref_name if {
	run := json.patch(f.taskrun("buildah", {}), [{"op": "replace", "path": "/spec/taskRef", "value": {"name": "", "kind": "Task"}}])
	[[t.task, t.ref.kind] | some t in lib.tasks(f.v1_statement([run]))] == [["buildah", "local"]]
}

test_git_resolver_ref_pinned_by_refsource if {
	ref := {"resolver": "git", "params": [
		{"name": "url", "value": "https://github.com/org/tasks.git"},
		{"name": "revision", "value": "main"},
		{"name": "pathInRepo", "value": "task/buildah/buildah.yaml"},
	]}
	lib.task_ref(ref, {"digest": {"sha1": f.commit}}) == {
		"kind": "git", "name": "buildah", "pin": f.commit, "ref": "https://github.com/org/tasks.git",
		"key": "git+https://github.com/org/tasks.git//task/buildah/buildah.yaml",
	}
	lib.task_ref(ref, {}).pin == ""
	pinned := json.patch(ref, [{"op": "replace", "path": "/params/1/value", "value": f.commit}])
	lib.task_ref(pinned, {}).pin == f.commit
}

test_local_and_cluster_refs if {
	lib.task_ref({"name": "x"}, {}).kind == "local"
	lib.task_ref({"name": "x", "kind": "ClusterTask"}, {}).kind == "cluster"
	lib.task_ref({"resolver": "hub", "params": []}, {}).kind == "other"
}

test_bundle_key_without_tag if {
	lib.task_ref({"bundle": sprintf("quay.io/x/task@%s", [f.bundle_digest])}, {}).key == "oci://quay.io/x/task"
}

test_params_object_kept if {
	t := f.v02_task("buildah", {})
	with_params := json.patch(t, [{"op": "replace", "path": "/invocation/parameters", "value": {"HERMETIC": "true"}}])
	[x.params | some x in lib.tasks(f.v02_statement([with_params]))] == [{"HERMETIC": "true"}]
}

test_v02_step_image_from_image_id if {
	t := json.patch(f.v02_task("buildah", {}), [{"op": "replace", "path": "/steps/0", "value": {"name": "s", "imageID": "img"}}])
	[x.steps | some x in lib.tasks(f.v02_statement([t]))] == [[{"name": "s", "image": "img"}]]
}

test_build_and_clone_tasks if {
	[t.name | some t in lib.build_tasks] == ["buildah"] with input as f.v1_input
	[t.name | some t in lib.git_clone_tasks] == ["git-clone"] with input as f.v1_input
}

test_task_result_and_param if {
	some t in lib.build_tasks with input as f.v02_input
	lib.task_result(t, "IMAGE_URL") == "quay.io/org/app:latest"
	not lib.task_param(t, "HERMETIC")
}

test_pipeline_tasks if {
	pipeline := {"spec": {"tasks": [{"name": "a", "taskRef": {"bundle": f.bundle("a")}}], "finally": [{"name": "b", "taskRef": {"name": "b"}}]}}
	[[t.name, t.ref.kind] | some t in lib.pipeline_tasks(pipeline)] == [["a", "bundle"], ["b", "local"]]
}

test_v02_malformed_task_is_unreadable if {
	[t.status | some t in lib.tasks(f.v02_statement(["oops"]))] == ["Unreadable"]
}
