package admission.component_test

import rego.v1

import data.admission.component

application := {
	"apiVersion": "appstudio.redhat.com/v1alpha1",
	"kind": "Application",
	"metadata": {"name": "app", "namespace": "tenant", "uid": "uid-app"},
	"spec": {"displayName": "App"},
}

found := {"application": {"found": true, "object": application}, "components": {"items": []}}

comp(name, spec) := {
	"apiVersion": "appstudio.redhat.com/v1alpha1",
	"kind": "Component",
	"metadata": {"name": name, "namespace": "tenant"},
	"spec": spec,
}

good_spec := {"componentName": "c", "application": "app", "source": {"git": {"url": "https://github.com/org/repo"}}}

create(o, lookups) := {"operation": "CREATE", "namespace": "tenant", "object": o, "lookups": lookups}

update(old, new, lookups) := {
	"operation": "UPDATE", "namespace": "tenant",
	"object": new, "oldObject": old, "lookups": lookups,
}

codes(results) := {r.code | some r in results}

test_valid_component if {
	count(component.deny) == 0 with input as create(comp("c", good_spec), found)
}

test_source_url_form_accepted if {
	spec := json.patch(good_spec, [{"op": "replace", "path": "/source", "value": {"url": "http://git.example/r"}}])
	count(component.deny) == 0 with input as create(comp("c", spec), found)
}

test_name_dns1035 if {
	codes(component.deny) == {"component.name_dns1035"} with input as create(comp("C", good_spec), found)
}

test_source_required if {
	spec := object.remove(good_spec, ["source"])
	codes(component.deny) == {"component.source_required"} with input as create(comp("c", spec), found)
}

# application-service webhooks/component_webhook_unit_test.go TestComponentCreateValidatingWebhook:
# "component cannot be created due to bad URL", "valid component with invalid git scheme src"
test_source_url_must_parse_as_request_uri if {
	every url in ["badurl", "git@github.com:devfile-samples/devfile-sample-java-springboot-basic.git", "github.com/o/r", "https://h:x/r"] {
		spec := object.union(good_spec, {"source": {"git": {"url": url}}})
		codes(component.deny) == {"component.source_url"} with input as create(comp("c", spec), found)
	}
}

# Go's url.ParseRequestURI accepts more than http(s): upstream does too.
test_source_url_any_absolute_uri if {
	every url in ["http://link", "ssh://git@github.com/o/r", "/abs/path", "git://h/o/r"] {
		spec := object.union(good_spec, {"source": {"git": {"url": url}}})
		count(component.deny) == 0 with input as create(comp("c", spec), found)
	}
}

# TestComponentUpdateValidatingWebhook: "git src url cannot be changed" (new GitURL field too)
test_git_url_immutable if {
	new := object.union(good_spec, {"source": {"git": {"url": "https://github.com/org/other"}}})
	codes(component.deny) == {"component.git_url_immutable"} with input as update(comp("c", good_spec), comp("c", new), found)
	count(component.deny) == 0 with input as update(comp("c", good_spec), comp("c", good_spec), found)
	old_url := object.union(object.remove(good_spec, ["source"]), {"source": {"url": "https://a/b"}})
	new_url := object.union(object.remove(good_spec, ["source"]), {"source": {"url": "https://a/c"}})
	codes(component.deny) == {"component.git_url_immutable"} with input as update(comp("c", old_url), comp("c", new_url), found)
}

# TestComponentUpdateValidatingWebhook: "non-url git source can be changed", "container image can be changed"
test_non_url_source_and_image_can_change if {
	old := object.union(object.remove(good_spec, ["source"]), {"source": {"git": {"context": "context"}}})
	new := object.union(object.remove(good_spec, ["source"]), {"source": {"git": {"context": "new-context", "dockerfileUrl": "https://d"}}})
	count(component.deny) == 0 with input as update(comp("c", old), comp("c", new), found)
	image := object.union(object.remove(good_spec, ["source"]), {"containerImage": "image1"})
	count(component.deny) == 0 with input as update(comp("c", good_spec), comp("c", image), found)
}

# The Application is optional, and may not exist yet (GitOps applies in any order).
test_application_optional_and_may_not_exist if {
	spec := object.remove(good_spec, ["application"])
	count(component.deny) == 0 with input as create(comp("c", spec), found)
	lookups := {"application": {"found": false}, "components": {"items": []}}
	count(component.deny) == 0 with input as create(comp("c", good_spec), lookups)
	codes(component.warn) == {"component.application_missing"} with input as create(comp("c", good_spec), lookups)
	count(component.warn) == 0 with input as create(comp("c", good_spec), found)
}

test_update_with_missing_lookups_passes if {
	count(component.deny) == 0 with input as update(comp("c", good_spec), comp("c", good_spec), {})
}

nudging(name, targets) := comp(name, object.union(good_spec, {"build-nudges-ref": targets}))

test_nudge_cycle_direct if {
	lookups := object.union(found, {"components": {"items": [nudging("b", ["a"])]}})
	codes(component.deny) == {"component.nudges_acyclic"} with input as create(nudging("a", ["b"]), lookups)
}

test_nudge_cycle_indirect if {
	items := [nudging("b", ["c"]), nudging("c", ["a"]), nudging("d", [])]
	lookups := object.union(found, {"components": {"items": items}})
	codes(component.deny) == {"component.nudges_acyclic"} with input as create(nudging("a", ["b"]), lookups)
}

test_nudge_self if {
	codes(component.deny) == {"component.nudges_acyclic"} with input as create(nudging("a", ["a"]), found)
}

test_nudge_chain_without_cycle if {
	items := [nudging("b", ["c"]), nudging("c", []), nudging("a", ["b", "c"])]
	lookups := object.union(found, {"components": {"items": items}})
	count(component.deny) == 0 with input as create(nudging("a", ["b"]), lookups)
}

test_nudge_replaces_stored_version_of_itself if {
	# the stored "a" nudged "b" which nudges "a"; the update removes a's nudge: no cycle
	items := [nudging("a", ["b"]), nudging("b", ["a"])]
	lookups := object.union(found, {"components": {"items": items}})
	count(component.deny) == 0 with input as update(nudging("a", ["b"]), nudging("a", []), lookups)
}

test_nudge_lookup_error_denies if {
	lookups := {"application": {"found": true, "object": application}, "components": {"error": "forbidden"}}
	results := component.deny with input as create(nudging("a", ["b"]), lookups)
	some r in results
	r.code == "component.nudges_acyclic"
	contains(r.msg, "forbidden")
}

owner_ref := {
	"apiVersion": "appstudio.redhat.com/v1alpha1", "kind": "Application", "name": "app", "uid": "uid-app",
	"blockOwnerDeletion": false, "controller": false,
}

# TestComponentDefaultingWebhook: "component has owner ref set"
test_patch_adds_owner_reference if {
	component.patch == {{"op": "add", "path": "/metadata/ownerReferences", "value": [owner_ref]}} with input as create(comp("c", good_spec), found)
	component.patch == {{"op": "add", "path": "/metadata/ownerReferences", "value": [owner_ref]}} with input as update(comp("c", good_spec), comp("c", good_spec), found)
}

# Upstream sets the reference only while the Component has none, and not while it is deleted.
test_patch_keeps_existing_owner_references if {
	o := json.patch(comp("c", good_spec), [{"op": "add", "path": "/metadata/ownerReferences", "value": [{"uid": "other"}]}])
	count(component.patch) == 0 with input as create(o, found)
	deleting := json.patch(comp("c", good_spec), [{"op": "add", "path": "/metadata/deletionTimestamp", "value": "2026-01-01T00:00:00Z"}])
	count(component.patch) == 0 with input as update(comp("c", good_spec), deleting, found)
}

# TestComponentDefaultingWebhook: "application not found"
test_no_patch_when_application_missing if {
	count(component.patch) == 0 with input as create(comp("c", good_spec), {"application": {"found": false}})
	count(component.patch) == 0 with input as create(comp("c", good_spec), {"application": {"error": "x"}})
}

# TestIsArgoCDManaged: tracking id as label or annotation, on the Component or its Application
test_no_owner_reference_under_argocd if {
	tracked := {"argocd.argoproj.io/tracking-id": "123"}
	labelled := json.patch(comp("c", good_spec), [{"op": "add", "path": "/metadata/labels", "value": tracked}])
	annotated := json.patch(comp("c", good_spec), [{"op": "add", "path": "/metadata/annotations", "value": tracked}])
	count(component.patch) == 0 with input as create(labelled, found)
	count(component.patch) == 0 with input as create(annotated, found)
	app_labelled := json.patch(application, [{"op": "add", "path": "/metadata/labels", "value": tracked}])
	app_annotated := json.patch(application, [{"op": "add", "path": "/metadata/annotations", "value": tracked}])
	count(component.patch) == 0 with input as create(comp("c", good_spec), {"application": {"found": true, "object": app_labelled}})
	count(component.patch) == 0 with input as create(comp("c", good_spec), {"application": {"found": true, "object": app_annotated}})
}
