package task.step_image_registries_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.task.step_image_registries as registries

_task(images) := {"kind": "Task", "spec": {"steps": [{"name": "s", "image": i} | some i in images]}}

test_allowed_images if {
	count(registries.deny) == 0 with input as _task(["registry.access.redhat.com/ubi9/ubi@sha256:aa", "quay.io/konflux-ci/x:1"])
}

test_disallowed_image if {
	some r in registries.deny with input as _task(["registry.access.redhat.com/ubi9", "docker.io/library/alpine"])
	r.msg == "Step 1 of the task uses image \"docker.io/library/alpine\", which is not from an allowed registry"
}

test_rule_data_format if {
	"task.step_image_registries.rule_data_provided" in f.codes(registries.deny) with input as _task([])
		with data.rule_data as {"allowed_step_image_registry_prefixes": []}
}
