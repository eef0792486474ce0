package admission.integrationtestscenario_test

import rego.v1

import data.admission.integrationtestscenario as its

scenario(name, spec) := {
	"apiVersion": "appstudio.redhat.com/v1beta2",
	"kind": "IntegrationTestScenario",
	"metadata": {"name": name, "namespace": "tenant"},
	"spec": spec,
}

git(params) := {"application": "app", "resolverRef": {"resolver": "git", "params": params}}

url_params := [
	{"name": "url", "value": "https://github.com/org/tests"},
	{"name": "revision", "value": "main"},
	{"name": "pathInRepo", "value": "pipelines/test.yaml"},
]

create(o) := {"operation": "CREATE", "object": o}

codes(results) := {r.code | some r in results}

test_valid if {
	count(its.deny) == 0 with input as create(scenario("t", git(url_params)))
	count(its.deny) == 0 with input as create(scenario("t", git([{"name": "repo", "value": "tests"}, {"name": "org", "value": "o"}])))
	count(its.deny) == 0 with input as create(scenario("t", {"componentGroup": "g"}))
}

test_exactly_one_owner if {
	codes(its.deny) == {"integrationtestscenario.one_owner"} with input as create(scenario("t", {}))
	codes(its.deny) == {"integrationtestscenario.one_owner"} with input as create(scenario("t", {"application": "a", "componentGroup": "g"}))
}

test_name if {
	codes(its.deny) == {"integrationtestscenario.name_dns1035"} with input as create(scenario("T_1", {"application": "a"}))
}

test_snapshot_param if {
	spec := {"application": "a", "params": [{"name": "SNAPSHOT", "value": "x"}]}
	codes(its.deny) == {"integrationtestscenario.no_snapshot_param"} with input as create(scenario("t", spec))
}

test_git_url_and_repo if {
	params := array.concat(url_params, [{"name": "repo", "value": "r"}])
	codes(its.deny) == {"integrationtestscenario.git_resolver_location"} with input as create(scenario("t", git(params)))
}

test_git_nothing if {
	codes(its.deny) == {"integrationtestscenario.git_resolver_location"} with input as create(scenario("t", git([{"name": "repo", "value": "r"}])))
}

test_git_https if {
	params := [{"name": "url", "value": "http://github.com/org/tests"}]
	codes(its.deny) == {"integrationtestscenario.git_resolver_https"} with input as create(scenario("t", git(params)))
	params2 := [{"name": "repo", "value": "r"}, {"name": "org", "value": "o"}, {"name": "serverURL", "value": "git.example"}]
	codes(its.deny) == {"integrationtestscenario.git_resolver_https"} with input as create(scenario("t", git(params2)))
}

app := {"apiVersion": "appstudio.redhat.com/v1alpha1", "kind": "Application", "metadata": {"name": "app", "uid": "u1"}}

test_patch_owner if {
	inp := object.union(create(scenario("t", git(url_params))), {"lookups": {"application": {"found": true, "object": app}}})
	its.patch == {{"op": "add", "path": "/metadata/ownerReferences", "value": [{"apiVersion": "appstudio.redhat.com/v1alpha1", "kind": "Application", "name": "app", "uid": "u1"}]}} with input as inp
	count(its.mutate_deny) == 0 with input as inp
}

test_mutate_lookup_error if {
	inp := object.union(create(scenario("t", git(url_params))), {"lookups": {"application": {"error": "no cluster"}}})
	codes(its.mutate_deny) == {"integrationtestscenario.owner_reference"} with input as inp
	count(its.patch) == 0 with input as inp
}

test_no_patch_for_component_group if {
	count(its.patch) == 0 with input as create(scenario("t", {"componentGroup": "g"}))
	count(its.mutate_deny) == 0 with input as create(scenario("t", {"componentGroup": "g"}))
}
