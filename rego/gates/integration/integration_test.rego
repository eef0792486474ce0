package gates.integration_test

import rego.v1

import data.gates.integration

snapshot := {
	"metadata": {"name": "s", "namespace": "t", "labels": {
		"appstudio.openshift.io/component": "api",
		"test.appstudio.openshift.io/type": "component",
	}},
	"spec": {"application": "app"},
}

its(name, contexts) := {"metadata": {"name": name, "namespace": "t"}, "spec": {"application": "app", "contexts": [{"name": c} | some c in contexts]}}

optional(s) := json.patch(s, [{"op": "add", "path": "/metadata/labels", "value": {"test.appstudio.openshift.io/optional": "true"}}])

plan(name) := {"metadata": {"name": name, "namespace": "t", "labels": {}, "annotations": {}}, "spec": {"application": "app"}}

run(status, message) := {"status": {"conditions": [{"type": "Succeeded", "status": status, "message": message}]}}

passed := {"run": run("True", ""), "test_outputs": [`{"result": "SUCCESS"}`]}

good := {"snapshot": snapshot, "scenarios": [its("a", [])], "runs": {"a": passed}, "plans": [plan("p")], "cel": {}}

but(over) := object.union(object.remove(good, object.keys(over)), over)

codes(over) := {r.code | some r in integration.deny with input as but(over)}

test_contexts_choose_scenarios if {
	scenarios := [
		its("none", []), its("push", ["push"]), its("pr", ["pull_request"]),
		its("mine", ["component_api"]), its("web", ["component_web"]), its("all", ["all"]),
		its("app", ["application"]), its("comp", ["component"]), its("group", ["group"]),
		its("override", ["override"]),
		{"metadata": {"name": "other-app"}, "spec": {"application": "other"}},
	]
	integration.scenarios == ["all", "app", "comp", "mine", "none", "push"] with input as but({"scenarios": scenarios})
}

test_group_and_override_contexts if {
	group := json.patch(snapshot, [{"op": "replace", "path": "/metadata/labels/test.appstudio.openshift.io~1type", "value": "group"}])
	integration.scenarios == ["group", "pr"] with input as but({"snapshot": group, "scenarios": [its("group", ["group"]), its("pr", ["pull_request"]), its("c", ["component"])]})
	override := json.patch(snapshot, [{"op": "replace", "path": "/metadata/labels/test.appstudio.openshift.io~1type", "value": "override"}])
	integration.scenarios == ["o"] with input as but({"snapshot": override, "scenarios": [its("o", ["override"]), its("g", ["group"])]})
}

outcome(entry) := o if {
	o := integration.outcomes.a with input as but({"runs": {"a": entry}})
}

test_outcome_from_the_run if {
	outcome(null) == {"status": "Pending", "details": "Pending", "final": false, "optional": false}
	outcome({"run": {}}).status == "InProgress"
	outcome({"run": run("Unknown", "")}).status == "InProgress"
	outcome({"run": run("False", "boom")}) == {"status": "TestFail", "details": "PipelineRun failed: boom", "final": true, "optional": false}
	outcome(passed) == {"status": "TestPassed", "details": "Integration test passed", "final": true, "optional": false}
}

test_outcome_from_test_output if {
	outcome({"run": run("True", ""), "test_outputs": [`{"result": "SKIPPED"}`, `{"result": "FAILURE"}`]}).details == "TEST_OUTPUT result is 'FAILURE'"
	outcome({"run": run("True", ""), "test_outputs": ["not json"]}).details == "TEST_OUTPUT result is None"
	outcome({"run": run("True", ""), "test_outputs": [`{"result": "WARNING"}`]}).status == "TestPassed"
}

# The passing results are data (kube/names.py PASSING_TEST_RESULTS), not a set typed here.
test_passing_results_come_from_names_data if {
	warned := {"run": run("True", ""), "test_outputs": [`{"result": "WARNING"}`]}
	outcome(warned).status == "TestFail" with data.kube.names.PASSING_TEST_RESULTS as ["SUCCESS"]
}

test_summary_counts_required_tests if {
	scenarios := [its("a", []), optional(its("o", [])), its("b", [])]
	runs := {"a": passed, "o": {"run": run("False", "")}, "b": {"run": run("False", "")}}
	integration.summary == {"required": 2, "finished": 2, "failed": 1} with input as but({"scenarios": scenarios, "runs": runs})
	integration.outcomes.o.optional with input as but({"scenarios": scenarios, "runs": runs})
}

test_promoted_when_required_tests_passed if {
	codes({}) == set()
	integration.promoted with input as good
}

test_not_promoted_while_testing_or_failed if {
	codes({"runs": {}}) == {"gates.integration.tests_finished"}
	codes({"runs": {"a": {"run": run("False", "")}}}) == {"gates.integration.tests_passed"}
}

test_not_promoted_from_pull_request_or_when_turned_off if {
	pr := json.patch(snapshot, [{"op": "add", "path": "/metadata/labels/pac.test.appstudio.openshift.io~1event-type", "value": "pull_request"}, {"op": "add", "path": "/metadata/labels/pac.test.appstudio.openshift.io~1pull-request", "value": "1"}])
	codes({"snapshot": pr}) == {"gates.integration.push_event"}
	off := json.patch(snapshot, [{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1auto-release", "value": "false"}])
	codes({"snapshot": off}) == {"gates.integration.auto_release_enabled"}
}

test_plans_of_the_group_release_unless_turned_off if {
	off := json.patch(plan("q"), [{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1auto-release", "value": "false"}])
	elsewhere := json.patch(plan("r"), [{"op": "replace", "path": "/spec/application", "value": "other"}])
	integration.auto_release == {"plans": ["p"], "message": "The Snapshot was auto-released"} with input as but({"plans": [plan("p"), off, elsewhere]})
}

test_should_release_false_holds_plans if {
	held := json.patch(snapshot, [{"op": "add", "path": "/metadata/annotations", "value": {"test.appstudio.openshift.io/result-should-release": "false"}}])
	integration.auto_release == {"plans": [], "message": "Skipping auto-release because the build pipeline's SHOULD_RELEASE result is 'false'"} with input as but({"snapshot": held})
}

test_no_plan_releases if {
	a := integration.auto_release with input as but({"plans": []})
	a.message == "Skipping auto-release of the Snapshot because no ReleasePlans have the 'auto-release' label set to 'true'"
}

test_cel_plans_are_asked_and_their_answers_decide if {
	cel := json.patch(plan("c"), [{"op": "replace", "path": "/metadata/annotations", "value": {"release.appstudio.openshift.io/auto-release": "shouldRelease()"}}])
	integration.cel_plans == ["c"] with input as but({"plans": [cel]})
	integration.auto_release.plans == [] with input as but({"plans": [cel]})
	integration.auto_release.plans == ["c"] with input as but({"plans": [cel], "cel": {"c": true}})
	integration.auto_release.plans == [] with input as but({"plans": [cel], "cel": {"c": false}})
}

test_nothing_released_or_asked_when_not_promoted if {
	not integration.auto_release with input as but({"runs": {}})
	not integration.cel_plans with input as but({"runs": {}})
}
