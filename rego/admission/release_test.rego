# Cases from release-service api/v1alpha1/webhooks/release/webhook_test.go and
# api/v1alpha1/webhooks/author/webhook_test.go (the It() title above each test).
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

plan_found(days) := {"releaseplan": {"found": true, "object": {"spec": {"application": "a", "releaseGracePeriodDays": days}}}}

create(o, user) := {"operation": "CREATE", "object": o, "userInfo": {"username": user}, "lookups": {"releaseplan": {"found": false}}}

update(old, new) := {"operation": "UPDATE", "object": new, "oldObject": old, "userInfo": {"username": "u"}}

codes(results) := {r.code | some r in results}

label_ops(patch) := {op | some op in patch; startswith(op.path, "/metadata/labels")}

# "should not return an error when both release name and snapshot name are within 63 characters"
test_valid if {
	count(release.deny) == 0 with input as create(rel("r", {}, good), "u")
}

# "should return an error when release (snapshot, releasePlan) name is longer than 63 characters"
test_lengths if {
	codes(release.deny) == {"release.name_length"} with input as create(rel(long, {}, good), "u")
	codes(release.deny) == {"release.name_length"} with input as create(rel("r", {}, {"snapshot": long, "releasePlan": "p"}), "u")
	codes(release.deny) == {"release.name_length"} with input as create(rel("r", {}, {"snapshot": "s", "releasePlan": long}), "u")
}

# "should error out when updating the resource" / "should not error out when updating the resource metadata"
test_spec_immutable if {
	codes(release.deny) == {"release.spec_immutable"} with input as update(rel("r", {}, good), rel("r", {}, object.union(good, {"snapshot": "other"})))
	count(release.deny) == 0 with input as update(rel("r", {}, good), rel("r", {"annotations": {"a": "b"}}, good))
}

# "should error out when updating the snapshot (releasePlan) label"; author webhook "should not
# allow the author label to be set to a different value"; "should not error out when updating
# other labels"
test_labels_immutable if {
	every key in ["release.appstudio.openshift.io/author", "release.appstudio.openshift.io/snapshot", "release.appstudio.openshift.io/releasePlan"] {
		old := rel("r", {"labels": {key: "alice"}}, good)
		new := rel("r", {"labels": {key: "mallory"}}, good)
		codes(release.deny) == {"release.labels_immutable"} with input as update(old, new)
	}
	count(release.deny) == 0 with input as update(rel("r", {"labels": {"a": "1"}}, good), rel("r", {"labels": {"a": "2"}}, good))
}

# A Release stored without the labels (made before the webhook set them) can still be updated,
# e.g. to remove its finalizer; nothing re-sets them on update.
test_old_release_without_labels_updatable if {
	old := rel("r", {"finalizers": ["appstudio.redhat.com/release-finalizer"]}, good)
	new := rel("r", {}, good)
	count(release.deny) == 0 with input as update(old, new)
	count(release.patch) == 0 with input as update(old, new)
}

# "should set snapshot and releasePlan labels from spec fields"; author "should add admin as the
# value for the author label"; "should initialize labels map if nil and set labels"
test_patch_labels_manual if {
	label_ops(release.patch) == {{"op": "add", "path": "/metadata/labels", "value": {
		"release.appstudio.openshift.io/snapshot": "snap",
		"release.appstudio.openshift.io/releasePlan": "plan",
		"release.appstudio.openshift.io/author": "bob.example.com",
	}}} with input as create(rel("r", {}, good), "bob@example.com")
}

# "should overwrite the author label value when one is provided by user"
test_patch_author_overwritten if {
	labels := {"labels": {"release.appstudio.openshift.io/author": "someone-else"}}
	{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1author", "value": "admin"} in release.patch with input as create(rel("r", labels, good), "admin")
}

# "should not add the author label if the automated label is present and true" / "... false"
test_patch_labels_automated if {
	labels := {"labels": {"release.appstudio.openshift.io/automated": "true"}}
	label_ops(release.patch) == {
		{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1snapshot", "value": "snap"},
		{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1releasePlan", "value": "plan"},
	} with input as create(rel("r", labels, good), "system:serviceaccount:x:y")
	not_automated := {"labels": {"release.appstudio.openshift.io/automated": "false"}}
	{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1author", "value": "admin"} in release.patch with input as create(rel("r", not_automated, good), "admin")
}

# "should set GracePeriodDays to ReleasePlan's value and return nil"
test_grace_period_from_plan if {
	{"op": "add", "path": "/spec/gracePeriodDays", "value": 3} in release.patch with input as object.union(create(rel("r", {}, good), "u"), {"lookups": plan_found(3)})
	# the API server stores a plan with the CRD default (7) filled in
	{"op": "add", "path": "/spec/gracePeriodDays", "value": 7} in release.patch with input as object.union(create(rel("r", {}, good), "u"), {"lookups": {"releaseplan": {"found": true, "object": {"spec": {}}}}})
	given := object.union(good, {"gracePeriodDays": 1})
	count([op | some op in release.patch; op.path == "/spec/gracePeriodDays"]) == 0 with input as object.union(create(rel("r", {}, given), "u"), {"lookups": plan_found(3)})
}

# "should return nil and keep the default value of a go `int` for GracePeriodDays when the
# specified ReleasePlan does not exist"; a ReleasePlan that cannot be read fails the request.
test_grace_period_without_plan if {
	count([op | some op in release.patch; op.path == "/spec/gracePeriodDays"]) == 0 with input as create(rel("r", {}, good), "u")
	count(release.mutate_deny) == 0 with input as create(rel("r", {}, good), "u")
	results := release.mutate_deny with input as object.union(create(rel("r", {}, good), "u"), {"lookups": {"releaseplan": {"error": "timeout"}}})
	some r in results
	contains(r.msg, "timeout")
}
