# METADATA
# title: Pipeline definition
# description: Basic checks of a Tekton Pipeline definition (the input is the Pipeline resource).
package pipeline.basic

import rego.v1

import data.konflux.lib

# METADATA
# title: Pipeline kind
# description: The input is a Tekton resource of kind Pipeline.
# custom:
#   short_name: expected_kind
#   failure_msg: Expected kind "Pipeline", found %q
#   solution: Check a Tekton Pipeline definition with the pipeline policies.
#   collections: [minimal, konflux]
deny contains result if {
	kind := object.get(input, "kind", "<none>")
	kind != "Pipeline"
	result := lib.result(rego.metadata.chain(), [kind])
}
