package release.provenance_materials_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.provenance_materials as materials

test_clone_matches if {
	count(materials.deny) == 0 with input as f.v1_input
	count(materials.deny) == 0 with input as f.v02_input
}

test_no_clone_task if {
	f.codes(materials.deny) == {"release.provenance_materials.git_clone_task_found"} with input as f.v1_input_with([f.taskrun("buildah", f.build_results)])
}

test_clone_commit_differs if {
	results := {"url": f.repo_url, "commit": "0000000000000000000000000000000000000000"}
	doc := f.v02_input_with([f.v02_task("git-clone", results), f.v02_task("buildah", f.build_results)])
	some r in materials.deny with input as doc
	r.code == "release.provenance_materials.git_clone_source_matches_provenance"
	r.term == "git-clone"
}
