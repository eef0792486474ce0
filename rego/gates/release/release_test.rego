package gates.release_test

import rego.v1

import data.gates.release

plan := {
	"metadata": {"name": "p", "namespace": "t", "labels": {"release.appstudio.openshift.io/author": "alice"}},
	"spec": {"application": "app", "target": "m"},
}

rpa(name) := {
	"metadata": {"name": name, "namespace": "m", "labels": {}},
	"spec": {
		"origin": "t",
		"applications": ["app"],
		"pipeline": {"pipelineRef": {"resolver": "git"}},
		"policy": "ecp",
	},
}

rel := {
	"metadata": {"name": "r", "namespace": "t", "labels": {"release.appstudio.openshift.io/automated": "true"}},
	"spec": {"releasePlan": "p", "snapshot": "s"},
}

snapshot := {"metadata": {"name": "s", "namespace": "t"}, "spec": {"application": "app"}}

policy := {"metadata": {"name": "ecp", "namespace": "m"}, "spec": {}}

good := {"release": rel, "plan": plan, "admissions": [rpa("a")], "policy": policy, "snapshot": snapshot}

# `good` with some of its fields replaced whole (object.union would merge them).
but(over) := object.union(object.remove(good, object.keys(over)), over)

codes(over) := {r.code | some r in release.deny with input as but(over)}

msgs(over) := {r.msg | some r in release.deny with input as but(over)}

test_valid_release_may_start if {
	codes({}) == set()
	release.admission.metadata.name == "a" with input as good
	release.author == "alice" with input as good
}

test_missing_plan if {
	codes({"plan": null}) == {"gates.release.plan_found"}
	msgs({"plan": null}) == {"ReleasePlan p not found"}
}

test_no_admission if {
	codes({"admissions": []}) == {"gates.release.admission_matched"}
	msgs({"admissions": []}) == {"no ReleasePlanAdmission in m accepts app from t"}
}

test_match_needs_a_target if {
	m := release.match with input as {"plan": {"spec": {"application": "app"}}, "admissions": [rpa("a")]}
	m == {"reason": "ReleasePlan has no spec.target"}
}

test_match_by_origin_and_application if {
	other_origin := json.patch(rpa("a"), [{"op": "replace", "path": "/spec/origin", "value": "x"}])
	not release.match.admission with input as {"plan": plan, "admissions": [other_origin]}
	groups := json.patch(rpa("a"), [
		{"op": "remove", "path": "/spec/applications"},
		{"op": "add", "path": "/spec/componentGroups", "value": ["cg"]},
	])
	cg_plan := json.patch(plan, [{"op": "replace", "path": "/spec", "value": {"componentGroup": "cg", "target": "m"}}])
	release.match.admission.metadata.name == "a" with input as {"plan": cg_plan, "admissions": [groups]}
}

test_several_admissions if {
	msgs({"admissions": [rpa("b"), rpa("a")]}) == {"several ReleasePlanAdmissions in m match: a, b"}
}

test_pinned_admission_wins if {
	pinned := json.patch(plan, [{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1releasePlanAdmission", "value": "b"}])
	release.match.admission.metadata.name == "b" with input as {"plan": pinned, "admissions": [rpa("a"), rpa("b")]}
	m := release.match with input as {"plan": pinned, "admissions": [rpa("a")]}
	m.reason == "pinned ReleasePlanAdmission m/b not found"
}

test_blocked_admission if {
	blocked := json.patch(rpa("a"), [{"op": "add", "path": "/metadata/labels/release.appstudio.openshift.io~1block-releases", "value": "true"}])
	msgs({"admissions": [blocked]}) == {"ReleasePlanAdmission a blocks releases"}
}

test_no_pipeline if {
	bare := json.patch(rpa("a"), [{"op": "remove", "path": "/spec/pipeline"}])
	codes({"admissions": [bare]}) == {"gates.release.pipeline_defined"}
	tenant := json.patch(plan, [{"op": "add", "path": "/spec/tenantPipeline", "value": {"pipelineRef": {"resolver": "git"}}}])
	codes({"admissions": [bare], "plan": tenant}) == set()
}

test_policy_named_and_found if {
	unnamed := json.patch(rpa("a"), [{"op": "remove", "path": "/spec/policy"}])
	msgs({"admissions": [unnamed]}) == {"ReleasePlanAdmission a names no spec.policy"}
	msgs({"policy": null}) == {"EnterpriseContractPolicy ecp not found"}
}

test_snapshot_found_and_of_the_plans_application if {
	msgs({"snapshot": null}) == {"Snapshot s not found"}
	other := json.patch(snapshot, [{"op": "replace", "path": "/spec/application", "value": "other"}])
	msgs({"snapshot": other}) == {"Snapshot s belongs to other, the ReleasePlan to app"}
}

test_author_of_automated_releases_is_the_plans if {
	no_author := json.patch(plan, [{"op": "replace", "path": "/metadata/labels", "value": {}}])
	msgs({"plan": no_author}) == {"no author: the ReleasePlan has no release.appstudio.openshift.io/author label"}
}

test_author_of_manual_releases_is_their_creator if {
	manual := json.patch(rel, [{"op": "replace", "path": "/metadata/labels", "value": {"release.appstudio.openshift.io/author": "bob"}}])
	release.author == "bob" with input as but({"release": manual})
}

test_release_without_author if {
	unsigned := json.patch(rel, [{"op": "replace", "path": "/metadata/labels", "value": {}}])
	msgs({"release": unsigned}) == {"no author: the Release has no release.appstudio.openshift.io/author label"}
}

test_automated_by_status if {
	unsigned := json.patch(rel, [{"op": "replace", "path": "/metadata/labels", "value": {}}])
	by_status := json.patch(unsigned, [{"op": "add", "path": "/status", "value": {"automated": true}}])
	release.author == "alice" with input as but({"release": by_status})
}

test_malformed_input_denies_without_error if {
	codes({"admissions": "x", "release": 1}) == {"gates.release.admission_matched", "gates.release.author"}
}
