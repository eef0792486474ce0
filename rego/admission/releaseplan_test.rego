package admission.releaseplan_test

import rego.v1

import data.admission.releaseplan

plan(labels, spec) := {
	"apiVersion": "appstudio.redhat.com/v1alpha1",
	"kind": "ReleasePlan",
	"metadata": object.union({"name": "p"}, labels),
	"spec": spec,
}

create(o, user) := {"operation": "CREATE", "object": o, "userInfo": {"username": user}}

test_one_target if {
	count(releaseplan.deny) == 0 with input as create(plan({}, {"application": "a", "target": "m"}), "u")
	count(releaseplan.deny) == 0 with input as create(plan({}, {"componentGroup": "g"}), "u")
	count(releaseplan.deny) == 1 with input as create(plan({}, {"target": "m"}), "u")
	count(releaseplan.deny) == 1 with input as create(plan({}, {"application": "a", "componentGroup": "g"}), "u")
}

test_auto_release_default if {
	releaseplan.patch == {{"op": "add", "path": "/metadata/labels", "value": {"release.appstudio.openshift.io/auto-release": "true"}}} with input as create(plan({}, {"application": "a"}), "u")
	count(releaseplan.patch) == 0 with input as create(plan({"labels": {"x": "y"}}, {"application": "a"}), "u")
}

test_author_attribution if {
	labels := {"labels": {"release.appstudio.openshift.io/standing-attribution": "true"}}
	releaseplan.patch == {{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1author", "value": "system_serviceaccount_ns_bob.example.com"}} with input as create(plan(labels, {"application": "a"}), "system:serviceaccount:ns:bob@example.com")
}

test_author_kept if {
	labels := {"labels": {"release.appstudio.openshift.io/standing-attribution": "true", "release.appstudio.openshift.io/author": "alice"}}
	count(releaseplan.patch) == 0 with input as create(plan(labels, {"application": "a"}), "bob")
}

test_author_removed_without_attribution if {
	labels := {"labels": {"release.appstudio.openshift.io/author": "alice"}}
	releaseplan.patch == {{"op": "remove", "path": "/metadata/labels/release.appstudio.openshift.io~1author"}} with input as create(plan(labels, {"application": "a"}), "bob")
}
