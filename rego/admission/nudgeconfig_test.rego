# Cases from integration-service internal/webhook/v1beta2/nudgeconfig_webhook_test.go (the
# It() titles above each test).
package admission.nudgeconfig_test

import rego.v1

import data.admission.nudgeconfig as nc

config(nudges) := {
	"apiVersion": "appstudio.redhat.com/v1beta2",
	"kind": "NudgeConfig",
	"metadata": {"name": "nudge-config", "namespace": "default"},
	"spec": {"nudges": nudges},
}

n(from, to) := {"from": from, "to": to}

existing := {"components": {"items": [
	{"metadata": {"name": "component-a"}},
	{"metadata": {"name": "component-b"}},
	{"metadata": {"name": "component-c"}},
]}}

create(nudges) := {"operation": "CREATE", "namespace": "default", "object": config(nudges), "lookups": existing}

update(old, new) := {"operation": "UPDATE", "namespace": "default", "object": config(new), "oldObject": config(old), "lookups": existing}

codes(results) := {r.code | some r in results}

# "accepts a valid linear chain" / "accepts a valid DAG with multiple paths" / "accepts empty nudges"
test_valid if {
	count(nc.deny) == 0 with input as create([n("component-a", "component-b"), n("component-b", "component-c")])
	count(nc.deny) == 0 with input as create([n("component-a", "component-b"), n("component-a", "component-c"), n("component-b", "component-c")])
	count(nc.deny) == 0 with input as create([])
}

# "rejects a direct cycle" / "rejects a transitive 3-node cycle" / "handles self-nudge gracefully"
test_cycles if {
	results := nc.deny with input as create([n("component-a", "component-b"), n("component-b", "component-a")])
	codes(results) == {"nudgeconfig.nudges_acyclic"}
	some r in results
	contains(r.msg, "cycle detected")
	contains(r.msg, "component-a")
	contains(r.msg, "component-b")
	codes(nc.deny) == {"nudgeconfig.nudges_acyclic"} with input as create([n("component-a", "component-b"), n("component-b", "component-c"), n("component-c", "component-a")])
	codes(nc.deny) == {"nudgeconfig.nudges_acyclic"} with input as create([n("component-a", "component-a")])
}

# "rejects an update that introduces a cycle" / "skips validation when nudges are unchanged" /
# "accepts valid nudge changes"
test_cycles_on_update if {
	codes(nc.deny) == {"nudgeconfig.nudges_acyclic"} with input as update([n("component-a", "component-b")], [n("component-a", "component-b"), n("component-b", "component-a")])
	cyclic := [n("component-a", "component-b"), n("component-b", "component-a")]
	count(nc.deny) == 0 with input as update(cyclic, cyclic)
	count(nc.deny) == 0 with input as update([n("component-a", "component-b")], [n("component-a", "component-c")])
}

# "rejects when 'from' ('to') references a non-existent Component [AC1] [AC2]", "... both [E1]",
# "aggregates all missing components across multiple entries [E2]"
test_components_exist if {
	results := nc.deny with input as create([n("missing-comp", "component-a")])
	some r in results
	contains(r.msg, "missing 'from' component(s): missing-comp")
	results_to := nc.deny with input as create([n("component-a", "missing-comp")])
	some t in results_to
	contains(t.msg, "missing 'to' component(s): missing-comp")
	all := nc.deny with input as create([n("ghost-a", "ghost-b"), n("ghost-c", "ghost-d")])
	some e in all
	every name in ["ghost-a", "ghost-b", "ghost-c", "ghost-d"] { contains(e.msg, name) }
}

# "rejects when a newly-added entry references a non-existent Component [AC3]"; "allows update when
# a pre-existing entry references a now-deleted Component [AC4]"; "... only changes mode [AC4b]";
# "handles old nudges being nil when new adds a valid entry [E5]"
test_components_exist_on_update if {
	codes(nc.deny) == {"nudgeconfig.components_exist"} with input as update([n("component-a", "component-b")], [n("component-a", "component-b"), n("component-a", "ghost-x")])
	stale := [n("deleted-comp", "component-a")]
	count(nc.deny) == 0 with input as update(stale, array.concat(stale, [n("component-b", "component-c")]))
	count(nc.deny) == 0 with input as update(stale, [object.union(n("deleted-comp", "component-a"), {"mode": "validated"})])
	count(nc.deny) == 0 with input as {"operation": "UPDATE", "namespace": "default", "object": config([n("component-a", "component-b")]), "oldObject": {"metadata": {"name": "nudge-config"}, "spec": {}}, "lookups": existing}
}

test_component_list_error if {
	results := nc.deny with input as object.union(create([n("component-a", "component-b")]), {"lookups": {"components": {"error": "forbidden"}}})
	some r in results
	contains(r.msg, "forbidden")
}
