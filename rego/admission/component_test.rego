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

test_source_url_must_be_absolute_http if {
	every url in ["git@github.com:org/repo", "ftp://x/y", "/relative", "https://", "https://a b"] {
		spec := object.union(good_spec, {"source": {"git": {"url": url}}})
		codes(component.deny) == {"component.source_url"} with input as create(comp("c", spec), found)
	}
}

test_git_url_immutable if {
	new := object.union(good_spec, {"source": {"git": {"url": "https://github.com/org/other"}}})
	codes(component.deny) == {"component.git_url_immutable"} with input as update(comp("c", good_spec), comp("c", new), found)
	count(component.deny) == 0 with input as update(comp("c", good_spec), comp("c", good_spec), found)
}

test_application_required if {
	spec := object.remove(good_spec, ["application"])
	codes(component.deny) == {"component.application_required"} with input as create(comp("c", spec), found)
}

test_application_must_exist if {
	lookups := {"application": {"found": false}, "components": {"items": []}}
	codes(component.deny) == {"component.application_exists"} with input as create(comp("c", good_spec), lookups)
}

test_application_lookup_error_denies if {
	lookups := {"application": {"error": "no Kubernetes API configured"}, "components": {"items": []}}
	results := component.deny with input as create(comp("c", good_spec), lookups)
	some r in results
	r.code == "component.application_exists"
	contains(r.msg, "no Kubernetes API configured")
}

test_missing_lookup_denies if {
	codes(component.deny) == {"component.application_exists"} with input as create(comp("c", good_spec), {})
}

test_unchanged_application_not_looked_up_on_update if {
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

owner_ref := {"apiVersion": "appstudio.redhat.com/v1alpha1", "kind": "Application", "name": "app", "uid": "uid-app"}

test_patch_adds_owner_reference if {
	component.patch == {{"op": "add", "path": "/metadata/ownerReferences", "value": [owner_ref]}} with input as create(comp("c", good_spec), found)
}

test_patch_appends_owner_reference if {
	o := json.patch(comp("c", good_spec), [{"op": "add", "path": "/metadata/ownerReferences", "value": [{"uid": "other"}]}])
	component.patch == {{"op": "add", "path": "/metadata/ownerReferences/-", "value": owner_ref}} with input as create(o, found)
}

test_patch_keeps_existing_owner_reference if {
	o := json.patch(comp("c", good_spec), [{"op": "add", "path": "/metadata/ownerReferences", "value": [owner_ref]}])
	count(component.patch) == 0 with input as create(o, found)
}

test_no_patch_when_application_missing if {
	count(component.patch) == 0 with input as create(comp("c", good_spec), {"application": {"found": false}})
	count(component.patch) == 0 with input as create(comp("c", good_spec), {"application": {"error": "x"}})
}
