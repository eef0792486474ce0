# METADATA
# title: ComponentGroup admission
# description: >-
#   Validation of appstudio.redhat.com/v1beta2 ComponentGroup, as
#   integration-service's webhook decides: the testGraph is a DAG (checked on
#   create and when it changes), and spec.components entries are well formed
#   (checked on create and when they change).
package admission.componentgroup

import rego.v1

import data.admission.lib

spec := lib.spec(lib.obj)

old_spec := lib.spec(lib.old)

graph_spec := g if {
	g := spec.testGraph
	is_object(g)
} else := {}

# scenario -> the scenarios it runs after
edges[node] := {p.name | some p in parents; is_string(p.name)} if {
	some node, parents in graph_spec
	is_array(parents)
}

in_cycle contains node if {
	some node, next in edges
	node in graph.reachable(edges, next)
}

graph_checked if lib.creating

graph_checked if {
	lib.updating
	object.get(spec, "testGraph", null) != object.get(old_spec, "testGraph", null)
}

# METADATA
# title: testGraph has no cycle
# custom:
#   short_name: test_graph_acyclic
deny contains result if {
	graph_checked
	count(in_cycle) > 0
	result := {
		"code": "componentgroup.test_graph_acyclic",
		"msg": sprintf(
			"error validating test graph: invalid TestGraph - cycle detected: %s each run after themselves",
			[concat(", ", sort(in_cycle))],
		),
	}
}

components_checked if lib.creating

components_checked if {
	lib.updating
	object.get(spec, "components", null) != object.get(old_spec, "components", null)
}

version_set(entry) if {
	v := entry.componentVersion
	is_object(v)
	count(v) > 0
}

is_group(entry) if lower(lib.str(entry, "kind")) == "componentgroup"

# METADATA
# title: Components entries are well formed
# description: >-
#   A componentGroup entry names another group (not this one) and has no
#   componentVersion; every other entry has a componentVersion.
# custom:
#   short_name: components
deny contains result if {
	components_checked
	some entry in object.get(spec, "components", [])
	is_group(entry)
	version_set(entry)
	result := {
		"code": "componentgroup.components",
		"msg": "error validating spec.components: spec.components entries of kind 'componentGroup' cannot have ComponentVersion set",
	}
}

deny contains result if {
	components_checked
	some entry in object.get(spec, "components", [])
	is_group(entry)
	lib.str(entry, "name") == lib.name
	result := {
		"code": "componentgroup.components",
		"msg": "error validating spec.components: a componentGroup cannot contain itself",
	}
}

deny contains result if {
	components_checked
	some entry in object.get(spec, "components", [])
	not is_group(entry)
	not version_set(entry)
	result := {
		"code": "componentgroup.components",
		"msg": sprintf(
			"error validating spec.components: spec.components entries must contain a ComponentVersion unless they are of kind 'componentGroup' (%q has none)",
			[lib.str(entry, "name")],
		),
	}
}
