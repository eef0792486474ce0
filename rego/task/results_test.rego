package task.results_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.task.results

_required := {"required_task_results": [{"task": "buildah", "result": "IMAGE_DIGEST"}, {"task": "buildah", "result": "IMAGE_URL"}]}

_task(name, declared) := {"kind": "Task", "metadata": {"name": name}, "spec": {"results": [{"name": r} | some r in declared]}}

test_results_declared if {
	count(results.deny) == 0 with input as _task("buildah", ["IMAGE_DIGEST", "IMAGE_URL"]) with data.rule_data as _required
	count(results.deny) == 0 with input as _task("other", []) with data.rule_data as _required
}

test_result_missing if {
	some r in results.deny with input as _task("buildah", ["IMAGE_URL"]) with data.rule_data as _required
	r.code == "task.results.required"
	r.term == "IMAGE_DIGEST"
}

test_rule_data_format if {
	f.codes(results.deny) == {"task.results.rule_data_provided"} with input as _task("buildah", [])
		with data.rule_data as {"required_task_results": [{"task": "buildah"}]}
}
