package release.slsa_build_scripted_build_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.slsa_build_scripted_build as scripted

test_scripted_build_passes if {
	count(scripted.deny) == 0 with input as f.v1_input with data.rule_data as {"trusted_tasks": f.trusted_tasks}
	count(scripted.deny) == 0 with input as f.v02_input with data.rule_data as {"trusted_tasks": f.trusted_tasks}
}

test_no_build_task if {
	doc := f.v1_input_with([f.taskrun("git-clone", f.clone_results)])
	"release.slsa_build_scripted_build.build_task_image_results_found" in f.codes(scripted.deny) with input as doc
}

test_build_task_without_steps if {
	t := json.patch(f.v02_task("buildah", f.build_results), [{"op": "replace", "path": "/steps", "value": []}])
	f.codes(scripted.deny) == {"release.slsa_build_scripted_build.build_script_used"} with input as f.v02_input_with([t])
		with data.rule_data as {"trusted_tasks": f.trusted_tasks}
}

test_subject_not_built if {
	doc := json.patch(f.v1_input, [{"op": "replace", "path": "/attestations/0/statement/subject/0/digest/sha256", "value": "ff"}])
	some r in scripted.deny with input as doc with data.rule_data as {"trusted_tasks": f.trusted_tasks}
	r.code == "release.slsa_build_scripted_build.subject_build_task_matches"
	r.term == "sha256:ff"
}

test_untrusted_build_task if {
	some r in scripted.deny with input as f.v1_input
	r.code == "release.slsa_build_scripted_build.image_built_by_trusted_task"
	r.term == "buildah"
}

test_image_not_built_by_pipeline if {
	doc := json.patch(f.v1_input, [{"op": "replace", "path": "/image/ref", "value": sprintf("quay.io/org/app@%s", [f.other_digest])}])
	f.codes(scripted.deny) == {"release.slsa_build_scripted_build.image_built_by_build_task"} with input as doc
		with data.rule_data as {"trusted_tasks": f.trusted_tasks}
}
