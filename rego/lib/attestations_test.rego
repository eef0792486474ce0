package konflux.lib_test

import rego.v1

import data.konflux.lib
import data.konflux.lib.fixtures as f

test_statements_skip_non_objects if {
	count(lib.statements) == 1 with input as {"attestations": [{"statement": "x"}, {"statement": {"_type": "t"}}]}
}

test_provenance_fields_in_both_versions if {
	v02 := f.v02_statement([])
	v1 := f.v1_statement([])
	lib.build_type(v02) == "tekton.dev/v1beta1/PipelineRun"
	lib.build_type(v1) == "https://tekton.dev/chains/v2/slsa-tekton"
	lib.builder_id(v02) == "https://tekton.dev/chains/v2"
	lib.builder_id(v1) == "https://tekton.dev/chains/v2"
	count(lib.pipelinerun_provenances) == 1 with input as f.v1_input
}

test_materials_exclude_tekton_objects if {
	s := f.v1_statement([f.taskrun("x", {})])
	lib.materials(s) == [{"uri": "git+https://github.com/org/app.git", "digest": {"sha1": f.commit}}]
	lib.materials(f.v02_statement([])) == lib.materials(s)
}

test_external_parameters_only_v1 if {
	lib.external_parameters(f.v1_statement([])).runSpec.params[0].name == "git-url"
	not lib.external_parameters(f.v02_statement([]))
}
