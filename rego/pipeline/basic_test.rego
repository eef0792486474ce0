package pipeline.basic_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.pipeline.basic

test_pipeline_kind if {
	count(basic.deny) == 0 with input as {"kind": "Pipeline"}
}

test_other_kind if {
	f.codes(basic.deny) == {"pipeline.basic.expected_kind"} with input as {"kind": "Task"}
	some r in basic.deny with input as {}
	r.msg == "Expected kind \"Pipeline\", found \"<none>\""
}
