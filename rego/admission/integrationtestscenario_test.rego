# Cases from integration-service internal/webhook/v1beta2/integrationtestscenario_webhook_test.go
# (the It() title is named above each test that mirrors one).
package admission.integrationtestscenario_test

import rego.v1

import data.admission.integrationtestscenario as its

scenario(name, spec) := {
	"apiVersion": "appstudio.redhat.com/v1beta2",
	"kind": "IntegrationTestScenario",
	"metadata": {"name": name, "namespace": "tenant", "ownerReferences": [{"uid": "u"}]},
	"spec": spec,
}

git(params) := {"application": "app", "resolverRef": {"resolver": "git", "params": params}}

url_params := [
	{"name": "url", "value": "https://url"},
	{"name": "revision", "value": "main"},
	{"name": "pathInRepo", "value": "pipeline/helloworld.yaml"},
]

with_param(params, name, value) := array.concat(params, [{"name": name, "value": value}])

application := {
	"apiVersion": "appstudio.redhat.com/v1alpha1", "kind": "Application",
	"metadata": {"name": "app", "uid": "uid-app"},
}

group := {
	"apiVersion": "appstudio.redhat.com/v1beta2", "kind": "ComponentGroup",
	"metadata": {"name": "g", "uid": "uid-g"},
}

found := {"application": {"found": true, "object": application}, "componentgroup": {"found": true, "object": group}}

create(o) := {"operation": "CREATE", "namespace": "tenant", "object": o, "lookups": found}

update(old, new) := {"operation": "UPDATE", "namespace": "tenant", "object": new, "oldObject": old, "lookups": found}

codes(results) := {r.code | some r in results}

# "should success to create scenario when only url in git resolver params"
test_valid if {
	count(its.deny) == 0 with input as create(scenario("t", git(url_params)))
	count(its.deny) == 0 with input as create(scenario("t", git([{"name": "repo", "value": "tests"}, {"name": "org", "value": "o"}])))
	count(its.deny) == 0 with input as create(scenario("t", {"componentGroup": "g"}))
}

# "should succeed to create scenario with bundle resolver and (no) pipeline params"
test_bundles_resolver if {
	bundles := {"application": "app", "resolverRef": {"resolver": "bundles", "params": [
		{"name": "bundle", "value": "quay.io/redhat-appstudio/example-tekton-bundle:integration-pipeline-pass"},
		{"name": "name", "value": "integration-pipeline-pass"},
		{"name": "kind", "value": "pipeline"},
	]}}
	count(its.deny) == 0 with input as create(scenario("bundle-scenario", bundles))
	with_params := object.union(bundles, {"params": [{"name": "POLICY_CONFIGURATION", "value": "some-policy"}]})
	count(its.deny) == 0 with input as create(scenario("bundle-scenario", with_params))
}

# "should fail validation when both application and componentGroup are specified" / "...neither..."
test_exactly_one_owner if {
	codes(its.deny) == {"integrationtestscenario.one_owner"} with input as create(scenario("t", {}))
	codes(its.deny) == {"integrationtestscenario.one_owner"} with input as create(scenario("t", {"application": "a", "componentGroup": "g"}))
}

# "should fail to create scenario with long name"
test_name if {
	codes(its.deny) == {"integrationtestscenario.name_dns1035"} with input as create(scenario("T_1", {"application": "a"}))
	long := "this-name-is-too-long-it-has-64-characters-and-we-allow-max-63ch"
	codes(its.deny) == {"integrationtestscenario.name_dns1035"} with input as create(scenario(long, git(url_params)))
}

# "should fail to create scenario with snapshot parameter set"
test_no_snapshot_param if {
	spec := object.union(git(url_params), {"params": [{"name": "SNAPSHOT"}]})
	codes(its.deny) == {"integrationtestscenario.no_snapshot_param"} with input as create(scenario("t", spec))
}

# Validation runs on create only: an existing scenario (say, with a SNAPSHOT param) stays updatable.
test_update_not_validated if {
	spec := object.union(git(url_params), {"params": [{"name": "SNAPSHOT"}]})
	count(its.deny) == 0 with input as update(scenario("t", spec), scenario("t", spec))
	count(its.deny) == 0 with input as update(scenario("T_1", {}), scenario("T_1", {}))
}

# "should fail to create scenario when in git resolver params url+repo"
test_git_location if {
	both := with_param(with_param(url_params, "repo", "my-repository-name"), "org", "my-org-name")
	codes(its.deny) == {"integrationtestscenario.git_resolver_location"} with input as create(scenario("t", git(both)))
	codes(its.deny) == {"integrationtestscenario.git_resolver_location"} with input as create(scenario("t", git([{"name": "repo", "value": "r"}])))
}

# "should return an error when provided with an invalid url" / "... without 'https://'" /
# "should return nil when provided with a valid url"
test_git_urls if {
	every url in ["konflux-ci/integration-examples", "http://github.com/konflux-ci/integration-examples"] {
		codes(its.deny) == {"integrationtestscenario.git_resolver_https"} with input as create(scenario("t", git([{"name": "url", "value": url}])))
	}
	server := with_param([{"name": "repo", "value": "r"}, {"name": "org", "value": "o"}], "serverURL", "http://github.com")
	codes(its.deny) == {"integrationtestscenario.git_resolver_https"} with input as create(scenario("t", git(server)))
	fine := with_param([{"name": "repo", "value": "r"}, {"name": "org", "value": "o"}], "serverURL", "https://github.com/konflux-ci/integration-examples")
	count(its.deny) == 0 with input as create(scenario("t", git(fine)))
}

# "should return an error when url contains whitespace" / "...leading/trailing whitespace"
test_git_whitespace if {
	padded := [{"name": "url", "value": " https://github.com/konflux-ci/integration-examples "}]
	codes(its.deny) == {"integrationtestscenario.git_resolver_whitespace"} with input as create(scenario("t", git(padded)))
	revision := with_param(url_params, "pathInRepo", "pipelines/x.yaml ")
	codes(its.deny) == {"integrationtestscenario.git_resolver_whitespace"} with input as create(scenario("t", git(revision)))
	inner := with_param(url_params, "note", "this is a test string")
	count(its.deny) == 0 with input as create(scenario("t", git(inner)))
}

# "should return nil when token is a valid k8s secret name" (my-secret; My_Secret is refused)
test_git_token if {
	count(its.deny) == 0 with input as create(scenario("t", git(with_param(url_params, "token", "my-secret"))))
	codes(its.deny) == {"integrationtestscenario.git_resolver_token"} with input as create(scenario("t", git(with_param(url_params, "token", "My_Secret"))))
}

owner(kind, name, uid, api) := {
	"apiVersion": api, "kind": kind, "name": name, "uid": uid,
	"blockOwnerDeletion": false, "controller": false,
}

without_owner(spec) := json.patch(scenario("t", spec), [{"op": "remove", "path": "/metadata/ownerReferences"}])

# "should create scenario with componentGroup successfully" (owner kind ComponentGroup)
test_owner_reference_patch if {
	app_ref := owner("Application", "app", "uid-app", "appstudio.redhat.com/v1alpha1")
	{"op": "add", "path": "/metadata/ownerReferences", "value": [app_ref]} in its.patch with input as create(without_owner(git(url_params)))
	group_ref := owner("ComponentGroup", "g", "uid-g", "appstudio.redhat.com/v1beta2")
	{"op": "add", "path": "/metadata/ownerReferences", "value": [group_ref]} in its.patch with input as create(without_owner({"componentGroup": "g", "resolverRef": {"resolver": "git", "params": url_params}}))
	count([op | some op in its.patch; op.path == "/metadata/ownerReferences"]) == 0 with input as create(scenario("t", git(url_params)))
}

# A scenario naming a missing Application or ComponentGroup gets no ownerReference, and is refused.
test_missing_owner_denied if {
	missing := {"application": {"found": false}, "componentgroup": {"found": false}}
	results := its.deny with input as object.union(create(without_owner(git(url_params))), {"lookups": missing})
	some r in results
	r.code == "integrationtestscenario.owner_reference"
	contains(r.msg, "could not find application 'app' in namespace 'tenant'")
	count(its.patch) == 1 with input as object.union(create(without_owner(git(url_params))), {"lookups": missing})
	failing := {"application": {"error": "forbidden"}}
	results_err := its.deny with input as object.union(create(without_owner(git(url_params))), {"lookups": failing})
	some e in results_err
	contains(e.msg, "forbidden")
}

# "should set the value of 'Spec.ResolverRef.ResourceKind' to 'pipeline' if not already set" /
# "should not set ... if it is already set"
test_resource_kind_default if {
	{"op": "add", "path": "/spec/resolverRef/resourceKind", "value": "pipeline"} in its.patch with input as create(scenario("t", git(url_params)))
	set_kind := json.patch(git(url_params), [{"op": "add", "path": "/resolverRef/resourceKind", "value": "pipelinerun"}])
	count(its.patch) == 0 with input as create(scenario("t", set_kind))
}
