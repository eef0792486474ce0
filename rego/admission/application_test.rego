package admission.application_test

import rego.v1

import data.admission.application

app(name, spec) := {"operation": "CREATE", "object": {
	"apiVersion": "appstudio.redhat.com/v1alpha1",
	"kind": "Application",
	"metadata": {"name": name, "namespace": "tenant"},
	"spec": spec,
}}

codes(results) := {r.code | some r in results}

long_name := concat("", [c | some _ in numbers.range(1, 64); c := "a"])

test_valid_application if {
	count(application.deny) == 0 with input as app("my-app", {"displayName": "My app"})
}

test_name_must_be_dns1035 if {
	every name in ["My-App", "1app", "app-", "a_b", "", long_name] {
		codes(application.deny) == {"application.name_dns1035"} with input as app(name, {"displayName": "x"})
	}
}

test_display_name_required if {
	codes(application.deny) == {"application.display_name"} with input as app("a", {})
	codes(application.deny) == {"application.display_name"} with input as app("a", {"displayName": ""})
	codes(application.deny) == {"application.display_name"} with input as app("a", "not-a-map")
}

test_update_not_checked if {
	count(application.deny) == 0 with input as object.union(app("Bad_Name", {}), {"operation": "UPDATE"})
}
