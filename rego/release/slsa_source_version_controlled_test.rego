package release.slsa_source_version_controlled_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.slsa_source_version_controlled as vc

test_git_materials_pass if {
	count(vc.deny) == 0 with input as f.v1_input
	count(vc.deny) == 0 with input as f.v02_input
}

test_no_material if {
	doc := json.patch(f.v02_input, [{"op": "replace", "path": "/attestations/0/statement/predicate/materials", "value": []}])
	f.codes(vc.deny) == {"release.slsa_source_version_controlled.source_material_found"} with input as doc
}

test_non_git_material if {
	doc := json.patch(f.v1_input, [{"op": "replace", "path": "/attestations/0/statement/predicate/buildDefinition/resolvedDependencies/0/uri", "value": "https://example.com/src.tar.gz"}])
	f.codes(vc.deny) == {"release.slsa_source_version_controlled.material_is_git"} with input as doc
}

test_short_commit if {
	doc := json.patch(f.v02_input, [{"op": "replace", "path": "/attestations/0/statement/predicate/materials/0/digest/sha1", "value": "abc"}])
	f.codes(vc.deny) == {"release.slsa_source_version_controlled.material_commit_pinned"} with input as doc
}
