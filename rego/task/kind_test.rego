package task.kind_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.task.kind

test_task_kind if {
	count(kind.deny) == 0 with input as {"kind": "Task"}
}

test_other_kind if {
	f.codes(kind.deny) == {"task.kind.expected_kind"} with input as {"kind": "Pipeline"}
}

test_no_kind if {
	f.codes(kind.deny) == {"task.kind.kind_present"} with input as {"spec": {}}
}
