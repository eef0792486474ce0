# METADATA
# title: NudgeConfig admission
# description: >-
#   Validation of appstudio.redhat.com/v1beta2 NudgeConfig, as
#   integration-service's webhook decides: the nudges form no cycle (the whole
#   graph, whenever it changes), and every Component a new (from, to) pair names
#   exists in the namespace. Pairs already stored are not checked again, so
#   deleting a Component does not block later edits.
package admission.nudgeconfig

import rego.v1

import data.admission.lib

nudges(o) := [n | some n in lib.spec(o).nudges; is_object(n)] if {
	is_array(lib.spec(o).nudges)
} else := []

pair(n) := [lib.str(n, "from"), lib.str(n, "to")]

# component -> the components it nudges
edges[from] := {to | some n in nudges(lib.obj); pair(n) = [from, to]} if {
	some m in nudges(lib.obj)
	from := lib.str(m, "from")
}

in_cycle contains node if {
	some node, next in edges
	node in graph.reachable(edges, next)
}

changed if lib.creating

changed if {
	lib.updating
	nudges(lib.obj) != nudges(lib.old)
}

# METADATA
# title: Nudges form no cycle
# custom:
#   short_name: nudges_acyclic
deny contains result if {
	changed
	count(in_cycle) > 0
	result := {
		"code": "nudgeconfig.nudges_acyclic",
		"msg": sprintf(
			"error validating nudge graph: invalid NudgeGraph - cycle detected: %s each nudge themselves",
			[concat(", ", sort(in_cycle))],
		),
	}
}

# The pairs this request adds (all of them on create).
added contains pair(n) if {
	some n in nudges(lib.obj)
	not pair(n) in {pair(m) | some m in nudges(lib.old)}
}

existing := {name |
	some c in lib.lookup("components").items
	name := c.metadata.name
}

missing(side) := [name |
	some name in sort({p[side] | some p in added})
	not name in existing
]

# METADATA
# title: Nudged Components exist
# custom:
#   short_name: components_exist
deny contains result if {
	count(added) > 0
	err := lib.lookup_error("components")
	result := {
		"code": "nudgeconfig.components_exist",
		"msg": sprintf("failed to list Components in namespace %q: %s", [input.namespace, err]),
	}
}

deny contains result if {
	count(added) > 0
	not lib.lookup_error("components")
	count(missing(0)) + count(missing(1)) > 0
	result := {
		"code": "nudgeconfig.components_exist",
		"msg": concat("", [
			sprintf("NudgeConfig references non-existent Component(s) in namespace %q", [input.namespace]),
			side_message("from", missing(0)),
			side_message("to", missing(1)),
		]),
	}
}

side_message(_, names) := "" if count(names) == 0

side_message(side, names) := sprintf("; missing '%s' component(s): %s", [side, concat(", ", names)]) if {
	count(names) > 0
}
