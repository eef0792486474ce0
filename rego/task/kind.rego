# METADATA
# title: Task definition kind
# description: Checks that the input is a Tekton Task definition.
package task.kind

import rego.v1

import data.konflux.lib

# METADATA
# title: Kind present
# description: The input has a kind.
# custom:
#   short_name: kind_present
#   failure_msg: The resource has no kind
#   solution: Check a complete Tekton Task resource.
#   collections: [minimal, konflux]
deny contains result if {
	not input.kind
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: Task kind
# description: The input's kind is Task.
# custom:
#   short_name: expected_kind
#   failure_msg: Expected kind "Task", found %q
#   solution: Check a Tekton Task definition with the task policies.
#   collections: [minimal, konflux]
#   depends_on: [task.kind.kind_present]
deny contains result if {
	input.kind != "Task"
	result := lib.result(rego.metadata.chain(), [input.kind])
}
