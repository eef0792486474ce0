package admission.release_test

import rego.v1

import data.admission.release

rel(name, labels, spec) := {
	"apiVersion": "appstudio.redhat.com/v1alpha1",
	"kind": "Release",
	"metadata": object.union({"name": name}, labels),
	"spec": spec,
}

good := {"snapshot": "snap", "releasePlan": "plan"}

long := concat("", [c | some _ in numbers.range(1, 64); c := "a"])

create(o, user) := {"operation": "CREATE", "object": o, "userInfo": {"username": user}}

update(old, new) := {"operation": "UPDATE", "object": new, "oldObject": old, "userInfo": {"username": "u"}}

codes(results) := {r.code | some r in results}

test_valid if {
	count(release.deny) == 0 with input as create(rel("r", {}, good), "u")
}

test_lengths if {
	codes(release.deny) == {"release.name_length"} with input as create(rel(long, {}, good), "u")
	codes(release.deny) == {"release.name_length"} with input as create(rel("r", {}, {"snapshot": long, "releasePlan": "p"}), "u")
	codes(release.deny) == {"release.name_length"} with input as create(rel("r", {}, {"snapshot": "s", "releasePlan": long}), "u")
}

test_spec_immutable if {
	codes(release.deny) == {"release.spec_immutable"} with input as update(rel("r", {}, good), rel("r", {}, object.union(good, {"snapshot": "other"})))
	count(release.deny) == 0 with input as update(rel("r", {}, good), rel("r", {"annotations": {"a": "b"}}, good))
}

test_labels_immutable if {
	old := rel("r", {"labels": {"release.appstudio.openshift.io/author": "alice"}}, good)
	new := rel("r", {"labels": {"release.appstudio.openshift.io/author": "mallory"}}, good)
	codes(release.deny) == {"release.labels_immutable"} with input as update(old, new)
}

test_patch_labels_manual if {
	release.patch == {{"op": "add", "path": "/metadata/labels", "value": {
		"release.appstudio.openshift.io/snapshot": "snap",
		"release.appstudio.openshift.io/releasePlan": "plan",
		"release.appstudio.openshift.io/author": "bob.example.com",
	}}} with input as create(rel("r", {}, good), "bob@example.com")
}

test_patch_labels_automated if {
	labels := {"labels": {"release.appstudio.openshift.io/automated": "true"}}
	release.patch == {
		{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1snapshot", "value": "snap"},
		{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1releasePlan", "value": "plan"},
	} with input as create(rel("r", labels, good), "system:serviceaccount:x:y")
}
