package admission.releaseplanadmission_test

import rego.v1

import data.admission.releaseplanadmission as rpa

good := {"applications": ["app"], "origin": "tenant", "policy": "ecp", "pipeline": {}}

obj(labels, spec) := {"operation": "CREATE", "object": {
	"apiVersion": "appstudio.redhat.com/v1alpha1",
	"kind": "ReleasePlanAdmission",
	"metadata": object.union({"name": "r"}, labels),
	"spec": spec,
}}

codes(results) := {r.code | some r in results}

test_valid if {
	count(rpa.deny) == 0 with input as obj({}, good)
	count(rpa.deny) == 0 with input as obj({}, object.union(object.remove(good, ["applications"]), {"componentGroups": ["g"]}))
}

test_targets if {
	codes(rpa.deny) == {"releaseplanadmission.targets"} with input as obj({}, object.remove(good, ["applications"]))
	codes(rpa.deny) == {"releaseplanadmission.targets"} with input as obj({}, object.union(good, {"applications": []}))
}

test_name_length if {
	long := concat("", [c | some _ in numbers.range(1, 64); c := "a"])
	codes(rpa.deny) == {"releaseplanadmission.name_length"} with input as obj({}, object.union(good, {"applications": [long]}))
}

test_required if {
	codes(rpa.deny) == {"releaseplanadmission.required_fields"} with input as obj({}, object.remove(good, ["origin"]))
	codes(rpa.deny) == {"releaseplanadmission.required_fields"} with input as obj({}, object.remove(good, ["policy"]))
}

test_block_releases_value if {
	codes(rpa.deny) == {"releaseplanadmission.block_releases"} with input as obj({"labels": {"release.appstudio.openshift.io/block-releases": "yes"}}, good)
	count(rpa.deny) == 0 with input as obj({"labels": {"release.appstudio.openshift.io/block-releases": "true"}}, good)
}

test_block_releases_default if {
	rpa.patch == {{"op": "add", "path": "/metadata/labels", "value": {"release.appstudio.openshift.io/block-releases": "false"}}} with input as obj({}, good)
	rpa.patch == {{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1block-releases", "value": "false"}} with input as obj({"labels": {"a": "b"}}, good)
	count(rpa.patch) == 0 with input as obj({"labels": {"release.appstudio.openshift.io/block-releases": "true"}}, good)
}
