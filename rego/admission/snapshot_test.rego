# Cases from integration-service internal/webhook/v1beta2/snapshot_webhook_test.go and
# snapshot_webhook_unit_test.go.
package admission.snapshot_test

import rego.v1

import data.admission.snapshot

snap(name, labels, components) := {
	"apiVersion": "appstudio.redhat.com/v1alpha1",
	"kind": "Snapshot",
	"metadata": object.union({"name": name}, labels),
	"spec": {"application": "app", "components": components},
}

one := [{"name": "c", "containerImage": "quay.io/o/c@sha256:aa"}]

two := array.concat(one, [{"name": "d", "containerImage": "quay.io/o/d@sha256:bb"}])

codes(results) := {r.code | some r in results}

long_name := concat("", [c | some _ in numbers.range(1, 64); c := "s"])

test_valid if {
	count(snapshot.deny) == 0 with input as {"operation": "CREATE", "object": snap("s", {}, one)}
}

test_name_length if {
	codes(snapshot.deny) == {"snapshot.name_length"} with input as {"operation": "CREATE", "object": snap(long_name, {}, one)}
	count(snapshot.deny) == 0 with input as {"operation": "CREATE", "object": snap(substring(long_name, 0, 63), {}, one)}
}

test_components_immutable if {
	codes(snapshot.deny) == {"snapshot.components_immutable"} with input as {"operation": "UPDATE", "object": snap("s", {}, two), "oldObject": snap("s", {}, one)}
	count(snapshot.deny) == 0 with input as {"operation": "UPDATE", "object": snap("s", {"labels": {"x": "y"}}, one), "oldObject": snap("s", {}, one)}
}

test_patch_adds_labels_map if {
	snapshot.patch == {{"op": "add", "path": "/metadata/labels", "value": {"appstudio.openshift.io/application": "app"}}} with input as {"operation": "CREATE", "object": snap("s", {}, one)}
}

test_patch_adds_one_label if {
	snapshot.patch == {{"op": "add", "path": "/metadata/labels/appstudio.openshift.io~1application", "value": "app"}} with input as {"operation": "CREATE", "object": snap("s", {"labels": {"x": "y"}}, one)}
}

test_patch_nothing_when_label_right if {
	count(snapshot.patch) == 0 with input as {"operation": "CREATE", "object": snap("s", {"labels": {"appstudio.openshift.io/application": "app"}}, one)}
}

# A Snapshot made with generateName has no name yet when it is admitted: nothing to check.
test_generate_name_not_checked if {
	o := json.patch(snap("", {}, one), [{"op": "add", "path": "/metadata/generateName", "value": "s-"}])
	count(snapshot.deny) == 0 with input as {"operation": "CREATE", "object": o}
}

# Defaults are set on create only (the defaulting webhook is registered for create).
test_no_patch_on_update if {
	count(snapshot.patch) == 0 with input as {"operation": "UPDATE", "object": snap("s", {}, one), "oldObject": snap("s", {}, one)}
}

# A ComponentGroup Snapshot carries the component-group label instead.
test_patch_component_group_label if {
	o := {"metadata": {"name": "s"}, "spec": {"componentGroup": "g", "components": one}}
	snapshot.patch == {{"op": "add", "path": "/metadata/labels", "value": {"appstudio.openshift.io/component-group": "g"}}} with input as {"operation": "CREATE", "object": o}
}
