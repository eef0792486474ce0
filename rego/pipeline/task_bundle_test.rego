package pipeline.task_bundle_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.pipeline.task_bundle

_pipeline(ref) := {"kind": "Pipeline", "spec": {"tasks": [{"name": "build", "taskRef": ref}]}}

_trusted := {"trusted_tasks": f.trusted_tasks}

test_trusted_bundle if {
	count(task_bundle.deny) == 0 with input as _pipeline({"bundle": f.bundle("buildah")}) with data.rule_data as _trusted
	count(task_bundle.warn) == 0 with input as _pipeline({"bundle": f.bundle("buildah")}) with data.rule_data as _trusted
}

test_local_reference if {
	f.codes(task_bundle.deny) == {"pipeline.task_bundle.remote_task_reference"} with input as _pipeline({"name": "buildah"}) with data.rule_data as _trusted
}

test_unpinned if {
	f.codes(task_bundle.deny) == {"pipeline.task_bundle.pinned"} with input as _pipeline({"bundle": "quay.io/x/task-buildah:0.1"}) with data.rule_data as _trusted
}

test_untrusted if {
	f.codes(task_bundle.deny) == {"pipeline.task_bundle.trusted"} with input as _pipeline({"bundle": f.bundle("buildah")})
}

test_out_of_date if {
	key := "oci://quay.io/konflux-ci/tekton-catalog/task-buildah:0.1"
	newer := {"trusted_tasks": {key: [
		{"ref": f.other_digest, "effective_on": "2025-01-01T00:00:00Z"},
		{"ref": f.bundle_digest, "effective_on": "2024-01-01T00:00:00Z"},
	]}}
	f.codes(task_bundle.warn) == {"pipeline.task_bundle.current"} with input as _pipeline({"bundle": f.bundle("buildah")}) with data.rule_data as newer
}

test_rule_data_format if {
	"pipeline.task_bundle.rule_data_provided" in f.codes(task_bundle.deny) with input as _pipeline({"bundle": f.bundle("buildah")})
		with data.rule_data as {"trusted_tasks": {"oci://x": []}}
}
