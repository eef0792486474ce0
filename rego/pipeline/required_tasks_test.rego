package pipeline.required_tasks_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.pipeline.required_tasks

_pipeline(names) := {
	"kind": "Pipeline",
	"metadata": {"name": "docker-build", "labels": {"pipelines.openshift.io/type": "build"}},
	"spec": {"tasks": [{"name": n, "taskRef": {"bundle": f.bundle(n)}} | some n in names]},
}

_data := {"pipeline_required_tasks": {"build": [
	{"effective_on": "2099-01-01T00:00:00Z", "tasks": ["git-clone", "buildah", "sast"]},
	{"effective_on": "2024-01-01T00:00:00Z", "tasks": ["git-clone", ["buildah", "kaniko"]]},
]}}

test_required_tasks_present if {
	count(required_tasks.deny) == 0 with input as _pipeline(["git-clone", "buildah"]) with data.rule_data as _data
}

test_required_task_missing if {
	some r in required_tasks.deny with input as _pipeline(["buildah"]) with data.rule_data as _data
	r.code == "pipeline.required_tasks.required_tasks_found"
	r.msg == "Required task \"git-clone\" is missing from pipeline \"build\""
	some a in required_tasks.deny with input as _pipeline(["git-clone"]) with data.rule_data as _data
	a.term == "buildah or kaniko"
}

test_future_task_warns if {
	some r in required_tasks.warn with input as _pipeline(["git-clone", "buildah"]) with data.rule_data as _data
	r.term == "sast"
}

test_no_tasks if {
	f.codes(required_tasks.deny) == {"pipeline.required_tasks.tasks_found"} with input as _pipeline([]) with data.rule_data as _data
}

test_generic_list_and_missing_list if {
	generic := {"required_tasks": [{"effective_on": "2024-01-01T00:00:00Z", "tasks": ["sast"]}]}
	pipeline := json.patch(_pipeline(["buildah"]), [{"op": "remove", "path": "/metadata/labels"}])
	some r in required_tasks.deny with input as pipeline with data.rule_data as generic
	r.msg == "Required task \"sast\" is missing from pipeline \"docker-build\""
	f.codes(required_tasks.deny) == {"pipeline.required_tasks.required_tasks_list_provided"} with input as pipeline with data.rule_data as {}
}

test_rule_data_format if {
	"pipeline.required_tasks.rule_data_provided" in f.codes(required_tasks.deny) with input as _pipeline(["buildah"])
		with data.rule_data as {"pipeline_required_tasks": {"build": "x"}}
}
