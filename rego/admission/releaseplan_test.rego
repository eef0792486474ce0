# Cases from release-service api/v1alpha1/webhooks/releaseplan/webhook_test.go and the ReleasePlan
# part of api/v1alpha1/webhooks/author/webhook_test.go (the title above each test).
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

update(old, new, user) := {"operation": "UPDATE", "object": new, "oldObject": old, "userInfo": {"username": user}}

attribution(value) := {"release.appstudio.openshift.io/standing-attribution": value}

# "... created with both application and componentGroup" / "... neither ..." / "... only componentGroup"
test_one_target if {
	count(releaseplan.deny) == 0 with input as create(plan({}, {"application": "a", "target": "m"}), "u")
	count(releaseplan.deny) == 0 with input as create(plan({}, {"componentGroup": "g"}), "u")
	count(releaseplan.deny) == 1 with input as create(plan({}, {"target": "m"}), "u")
	count(releaseplan.deny) == 1 with input as create(plan({}, {"application": "a", "componentGroup": "g"}), "u")
}

# "a ReleasePlan is created without the auto-release label": added, true. "... with an
# auto-release label value": not modified. A plan created with other labels keeps them as they
# are (upstream defaults only a plan without labels), and an update re-sets nothing.
test_auto_release_default if {
	releaseplan.patch == {{"op": "add", "path": "/metadata/labels", "value": {"release.appstudio.openshift.io/auto-release": "true"}}} with input as create(plan({}, {"application": "a"}), "u")
	count(releaseplan.patch) == 0 with input as create(plan({"labels": {"x": "y"}}, {"application": "a"}), "u")
	count(releaseplan.patch) == 0 with input as create(plan({"labels": {"release.appstudio.openshift.io/auto-release": "false"}}, {"application": "a"}), "u")
	count(releaseplan.patch) == 0 with input as update(plan({}, {"application": "a"}), plan({}, {"application": "a"}), "u")
}

# "should add admin as the value for the author label if attribution is set to true"
test_author_attribution if {
	labels := {"labels": attribution("true")}
	releaseplan.patch == {{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1author", "value": "system_serviceaccount_ns_bob.example.com"}} with input as create(plan(labels, {"application": "a"}), "system:serviceaccount:ns:bob@example.com")
}

# "should leave user as the value for the author label when attribution is set to true"
test_author_kept if {
	labels := {"labels": object.union(attribution("true"), {"release.appstudio.openshift.io/author": "alice"})}
	count(releaseplan.patch) == 0 with input as create(plan(labels, {"application": "a"}), "bob")
}

# "the Attribution label goes to true to false": "should allow the change and remove the author label"
test_author_removed_without_attribution if {
	labels := {"labels": {"release.appstudio.openshift.io/author": "alice"}}
	releaseplan.patch == {{"op": "remove", "path": "/metadata/labels/release.appstudio.openshift.io~1author"}} with input as create(plan(labels, {"application": "a"}), "bob")
	old := plan({"labels": object.union(attribution("true"), {"release.appstudio.openshift.io/author": "alice"})}, {"application": "a"})
	new := plan({"labels": object.union(attribution("false"), {"release.appstudio.openshift.io/author": "alice"})}, {"application": "a"})
	releaseplan.patch == {{"op": "remove", "path": "/metadata/labels/release.appstudio.openshift.io~1author"}} with input as update(old, new, "bob")
}

# "the Attribution label goes to false to true": "should set the author to be the current user if
# one isn't provided"
test_author_set_on_update if {
	old := plan({"labels": attribution("false")}, {"application": "a"})
	new := plan({"labels": attribution("true")}, {"application": "a"})
	releaseplan.patch == {{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1author", "value": "admin"}} with input as update(old, new, "admin")
}
