# Cases from integration-service internal/webhook/v1beta2/componentgroup_webhook_test.go (the
# When()/It() titles above each test) and the webhook's validateSpecComponents.
package admission.componentgroup_test

import rego.v1

import data.admission.componentgroup as cg

components := [
	{"name": "component-a", "componentVersion": {"name": "main"}},
	{"name": "component-b", "componentVersion": {"name": "v1"}},
]

group(graph) := {
	"apiVersion": "appstudio.redhat.com/v1beta2",
	"kind": "ComponentGroup",
	"metadata": {"name": "test-component-group", "namespace": "default"},
	"spec": object.union({"components": components}, graph),
}

# A   E
#  \ / \
#   C   B
#       |
#       D
valid_graph := {"testGraph": {
	"scenarioA": [],
	"scenarioE": [],
	"scenarioB": [{"name": "scenarioE"}],
	"scenarioC": [{"name": "scenarioA"}, {"name": "scenarioE"}],
	"scenarioD": [{"name": "scenarioB"}],
}}

# scenarioC -> scenarioE -> scenarioC
invalid_graph := {"testGraph": {
	"scenarioA": [],
	"scenarioB": [{"name": "scenarioA"}],
	"scenarioC": [{"name": "scenarioA"}, {"name": "scenarioE"}],
	"scenarioD": [{"name": "scenarioB"}],
	"scenarioE": [{"name": "scenarioC"}],
}}

create(o) := {"operation": "CREATE", "object": o}

update(old, new) := {"operation": "UPDATE", "object": new, "oldObject": old}

codes(results) := {r.code | some r in results}

# "a new component is created": "Does not return an error for a valid test graph"
test_valid_graph if {
	count(cg.deny) == 0 with input as create(group(valid_graph))
	count(cg.deny) == 0 with input as create(group({}))
}

# "a new component is created": "Returns an error for an invalid test graph"
test_invalid_graph if {
	results := cg.deny with input as create(group(invalid_graph))
	codes(results) == {"componentgroup.test_graph_acyclic"}
	some r in results
	contains(r.msg, "error validating test graph: invalid TestGraph - cycle detected")
	contains(r.msg, "scenarioC, scenarioE")
}

# "a component is updated": valid change accepted, a change introducing a cycle refused
test_graph_on_update if {
	changed := json.patch(valid_graph, [{"op": "add", "path": "/testGraph/scenarioD", "value": [{"name": "scenarioC"}]}])
	count(cg.deny) == 0 with input as update(group(valid_graph), group(changed))
	codes(cg.deny) == {"componentgroup.test_graph_acyclic"} with input as update(group({}), group(invalid_graph))
	# an unchanged graph is not validated again
	count(cg.deny) == 0 with input as update(group(invalid_graph), group(invalid_graph))
}

# validateSpecComponents: componentGroup entries without a version and not this group; others
# with a version (kind compared case-insensitively)
test_components if {
	nested := array.concat(components, [{"name": "child-cg", "kind": "componentGroup"}])
	count(cg.deny) == 0 with input as create(json.patch(group({}), [{"op": "replace", "path": "/spec/components", "value": nested}]))
	with_version := array.concat(components, [{"name": "child-cg", "kind": "ComponentGroup", "componentVersion": {"name": "x"}}])
	codes(cg.deny) == {"componentgroup.components"} with input as create(json.patch(group({}), [{"op": "replace", "path": "/spec/components", "value": with_version}]))
	itself := [{"name": "test-component-group", "kind": "componentgroup"}]
	codes(cg.deny) == {"componentgroup.components"} with input as create(json.patch(group({}), [{"op": "replace", "path": "/spec/components", "value": itself}]))
	no_version := [{"name": "component-a"}]
	codes(cg.deny) == {"componentgroup.components"} with input as create(json.patch(group({}), [{"op": "replace", "path": "/spec/components", "value": no_version}]))
	# unchanged components are not validated again on update
	bad := json.patch(group({}), [{"op": "replace", "path": "/spec/components", "value": no_version}])
	count(cg.deny) == 0 with input as update(bad, bad)
}
