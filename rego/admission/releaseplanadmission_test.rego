# Cases from release-service api/v1alpha1/webhooks/releaseplanadmission/webhook_test.go (the
# When() title above each test); the exactly-one rule is also the CRD's CEL rule.
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

updated(labels, spec) := object.union(obj(labels, spec), {"operation": "UPDATE", "oldObject": obj({}, good).object})

codes(results) := {r.code | some r in results}

long := concat("", [c | some _ in numbers.range(1, 64); c := "a"])

# "a ReleasePlanAdmission is created with only componentGroups": should succeed
test_valid if {
	count(rpa.deny) == 0 with input as obj({}, good)
	count(rpa.deny) == 0 with input as obj({}, object.union(object.remove(good, ["applications"]), {"componentGroups": ["g"]}))
}

# "... created with both applications and componentGroups" / "... neither ...": rejected
test_targets if {
	codes(rpa.deny) == {"releaseplanadmission.targets"} with input as obj({}, object.remove(good, ["applications"]))
	codes(rpa.deny) == {"releaseplanadmission.targets"} with input as obj({}, object.union(good, {"componentGroups": ["g"]}))
}

# "... created / updated with an application (componentGroup) name longer than 63 characters"
test_name_length if {
	codes(rpa.deny) == {"releaseplanadmission.name_length"} with input as obj({}, object.union(good, {"applications": [long]}))
	codes(rpa.deny) == {"releaseplanadmission.name_length"} with input as updated({}, object.union(good, {"applications": [long]}))
	groups := object.union(object.remove(good, ["applications"]), {"componentGroups": [long]})
	codes(rpa.deny) == {"releaseplanadmission.name_length"} with input as obj({}, groups)
}

# "... created (updated) with an invalid block-releases label value": rejected until valid
test_block_releases_value if {
	codes(rpa.deny) == {"releaseplanadmission.block_releases"} with input as obj({"labels": {"release.appstudio.openshift.io/block-releases": "yes"}}, good)
	codes(rpa.deny) == {"releaseplanadmission.block_releases"} with input as updated({"labels": {"release.appstudio.openshift.io/block-releases": "foo"}}, good)
	count(rpa.deny) == 0 with input as obj({"labels": {"release.appstudio.openshift.io/block-releases": "true"}}, good)
}

# "... created without the block-releases label": added with value false. On update nothing is
# re-set (the defaulting webhook is registered for create only).
test_block_releases_default if {
	rpa.patch == {{"op": "add", "path": "/metadata/labels", "value": {"release.appstudio.openshift.io/block-releases": "false"}}} with input as obj({}, good)
	rpa.patch == {{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1block-releases", "value": "false"}} with input as obj({"labels": {"a": "b"}}, good)
	count(rpa.patch) == 0 with input as obj({"labels": {"release.appstudio.openshift.io/block-releases": "true"}}, good)
	count(rpa.patch) == 0 with input as updated({}, good)
}
