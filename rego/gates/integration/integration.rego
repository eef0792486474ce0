# METADATA
# title: Integration gates
# description: >-
#   Which IntegrationTestScenarios test a Snapshot, each scenario's outcome
#   from its PipelineRun, whether the Snapshot is promoted, and which
#   ReleasePlans auto-release it, as integration-service decides. Input:
#   {snapshot, scenarios, runs: {scenario: {run, test_outputs}}, plans, cel:
#   {plan: bool}, now}. `deny` blocks promotion; a platform team adds rules by
#   adding `deny` rules to this package.
package gates.integration

import rego.v1

import data.gates.lib

names := lib.names

snapshot := lib.obj(input.snapshot)

# --- which scenarios apply ----------------------------------------------------------------

# Names of the scenarios that test this Snapshot, sorted.
scenarios := sort([lib.name(s) | some s in applicable])

# The applicable scenario objects, worked out once per evaluation.
applicable := [s | some s in lib.arr(input.scenarios); applies(s)]

# The scenario's Application or ComponentGroup is the Snapshot's, and its contexts let it
# run (integration-service's IsScenarioApplicableToSnapshotsContext).
applies(s) if {
	lib.group(s) == snapshot_group
	count(contexts(s)) == 0
}

applies(s) if {
	lib.group(s) == snapshot_group
	some ctx in contexts(s)
	context_allows(ctx)
}

# Facts of the Snapshot, each worked out once per evaluation.
snapshot_group := lib.group(snapshot)

snapshot_push if lib.is_push(snapshot)

contexts(s) := [lib.str(x, "name") | some x in lib.arr(lib.get(lib.spec(s), "contexts"))]

snapshot_type := lib.label(snapshot, names.SNAPSHOT_TYPE_LABEL)

context_allows(ctx) if ctx in {"application", "all"}

context_allows("push") if snapshot_push

context_allows("pull_request") if not snapshot_push

context_allows("component") if snapshot_type == names.SNAPSHOT_TYPE_COMPONENT

context_allows("group") if snapshot_type == names.SNAPSHOT_TYPE_GROUP

context_allows("override") if snapshot_type == names.SNAPSHOT_TYPE_OVERRIDE

context_allows(ctx) if {
	startswith(ctx, "component_")
	trim_prefix(ctx, "component_") == lib.label(snapshot, names.COMPONENT_LABEL)
}

optional(s) := true if lib.label(s, names.OPTIONAL_LABEL) == "true" else := false

# --- a scenario's outcome from its run ----------------------------------------------------

# TEST_OUTPUT results that pass (integration-service's test output schema), handed in as
# data from kube/names.py (the console reads the same set), never retyped here.
passing_results := {r | some r in names.PASSING_TEST_RESULTS}

# Statuses after which a scenario's test is over (pkg/integrationteststatus).
final_statuses := {"TestPassed", "TestFail", "TestWarning", "TestInvalid", "Deleted"}

# 'Succeeded', 'Failed' or 'Running' from a PipelineRun's Succeeded condition.
run_state(run) := "Succeeded" if {
	succeeded(run).status == "True"
} else := "Running" if {
	not succeeded(run).status
} else := "Running" if {
	succeeded(run).status == "Unknown"
} else := "Failed"

succeeded(run) := c if {
	some c in lib.arr(lib.get(lib.get(run, "status"), "conditions"))
	lib.obj(c).type == "Succeeded"
} else := {}

# The `result` of a TEST_OUTPUT value, as Python's repr shows it in details.
output_result(value) := sprintf("'%s'", [r]) if {
	is_string(value)
	json.is_valid(value)
	r := lib.obj(json.unmarshal(value)).result
	is_string(r)
} else := "None"

output_passes(value) if {
	is_string(value)
	json.is_valid(value)
	lib.obj(json.unmarshal(value)).result in passing_results
}

outcome_of(entry) := {"status": "Pending", "details": "Pending"} if {
	not is_object(lib.get(entry, "run"))
} else := {"status": "InProgress", "details": "Integration test is running"} if {
	run_state(entry.run) == "Running"
} else := {"status": "TestFail", "details": sprintf("PipelineRun failed: %s", [lib.str(succeeded(entry.run), "message")])} if {
	run_state(entry.run) == "Failed"
} else := {"status": "TestFail", "details": sprintf("TEST_OUTPUT result is %s", [output_result(failing[0])])} if {
	failing := [v | some v in lib.arr(lib.get(entry, "test_outputs")); not output_passes(v)]
	count(failing) > 0
} else := {"status": "TestPassed", "details": "Integration test passed"}

# Each applicable scenario's {status, details, final, optional}.
outcomes[name] := {"status": o.status, "details": o.details, "final": o.status in final_statuses, "optional": optional(s)} if {
	some s in applicable
	name := lib.name(s)
	o := outcome_of(lib.get(input.runs, name))
}

required := [o | some o in outcomes; not o.optional]

# How the required tests stand: {required, finished, failed}.
summary := {
	"required": count(required),
	"finished": count([o | some o in required; o.final]),
	"failed": count([o | some o in required; o.status == "TestFail"]),
}

# --- promotion ------------------------------------------------------------------------------

# METADATA
# title: Required tests finished
# description: Every required (not optional) scenario's test is over.
# custom:
#   short_name: tests_finished
#   failure_msg: "%d of %d required tests finished"
deny contains result if {
	summary.finished < summary.required
	result := {
		"code": "gates.integration.tests_finished",
		"msg": sprintf("%d of %d required tests finished", [summary.finished, summary.required]),
	}
}

# METADATA
# title: Required tests passed
# description: No required scenario's test failed.
# custom:
#   short_name: tests_passed
#   failure_msg: "%d of %d required tests failed"
deny contains result if {
	summary.failed > 0
	result := {
		"code": "gates.integration.tests_passed",
		"msg": sprintf("%d of %d required tests failed", [summary.failed, summary.required]),
	}
}

# METADATA
# title: Snapshot from a push
# description: >-
#   Only a push Snapshot is promoted: not a pull request's, a merge queue's or
#   a group Snapshot (CanSnapshotBePromoted).
# custom:
#   short_name: push_event
#   failure_msg: Snapshot %s is not from a push event
deny contains result if {
	not snapshot_push
	result := {
		"code": "gates.integration.push_event",
		"msg": sprintf("Snapshot %s is not from a push event", [lib.name(snapshot)]),
	}
}

# METADATA
# title: Snapshot auto-release not turned off
# description: >-
#   A Snapshot labelled release.appstudio.openshift.io/auto-release "false" is
#   not promoted.
# custom:
#   short_name: auto_release_enabled
#   failure_msg: Snapshot %s has auto-release turned off
deny contains result if {
	lib.label(snapshot, names.AUTO_RELEASE_LABEL) == "false"
	result := {
		"code": "gates.integration.auto_release_enabled",
		"msg": sprintf("Snapshot %s has auto-release turned off", [lib.name(snapshot)]),
	}
}

promoted if count(deny) == 0

# --- auto-release ---------------------------------------------------------------------------

# The build pipeline's SHOULD_RELEASE result: only an explicit "false" holds releases.
should_release if lib.annotation(snapshot, names.SHOULD_RELEASE_ANNOTATION) != "false"

plans_of_group := [p | some p in lib.arr(input.plans); lib.group(p) == snapshot_group]

cel_expression(p) := lib.annotation(p, names.AUTO_RELEASE_LABEL)

# The plans whose auto-release annotation holds a CEL expression: the controller evaluates
# them (variables snapshot and now) and asks again with the answers in input.cel.
cel_plans := sort([lib.name(p) | some p in plans_of_group; cel_expression(p) != ""]) if promoted

releases(p) if {
	cel_expression(p) != ""
	lib.obj(input.cel)[lib.name(p)] == true
}

releases(p) if {
	cel_expression(p) == ""
	lib.label(p, names.AUTO_RELEASE_LABEL) != "false"
	should_release
}

# Which ReleasePlans auto-release a promoted Snapshot, and the AutoReleased message.
auto_release := {"plans": plans, "message": auto_release_message(plans)} if {
	promoted
	plans := sort([lib.name(p) | some p in plans_of_group; releases(p)])
}

auto_release_message(plans) := "The Snapshot was auto-released" if {
	count(plans) > 0
} else := "Skipping auto-release because the build pipeline's SHOULD_RELEASE result is 'false'" if {
	not should_release
} else := "Skipping auto-release of the Snapshot because no ReleasePlans have the 'auto-release' label set to 'true'"
