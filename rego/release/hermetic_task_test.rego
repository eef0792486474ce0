package release.hermetic_task_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.hermetic_task as hermetic

_buildah(value) := json.patch(f.taskrun("buildah", f.build_results), [{"op": "replace", "path": "/spec/params", "value": [{"name": "HERMETIC", "value": value}]}])

test_hermetic_build if {
	count(hermetic.deny) == 0 with input as f.v1_input_with([_buildah("true")])
}

test_not_hermetic if {
	some r in hermetic.deny with input as f.v1_input_with([_buildah("false")])
	r.msg == "Task \"buildah\" did not run hermetically (HERMETIC=\"false\")"
	f.codes(hermetic.deny) == {"release.hermetic_task.hermetic"} with input as f.v1_input
}

test_rule_data_format if {
	f.codes(hermetic.deny) == {"release.hermetic_task.rule_data_provided"} with input as f.v1_input_with([_buildah("true")])
		with data.rule_data as {"required_hermetic_tasks": [1]}
}
