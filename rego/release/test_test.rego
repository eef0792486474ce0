package release.test_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.test

_with_test(outcome) := f.v1_input_with([
	f.taskrun("buildah", f.build_results),
	f.taskrun("run-tests", {"TEST_OUTPUT": json.marshal({"result": outcome, "successes": 1, "failures": 0})}),
])

test_success_passes if {
	count(test.deny) == 0 with input as _with_test("SUCCESS")
	count(test.warn) == 0 with input as _with_test("SUCCESS")
}

test_no_test_data if {
	f.codes(test.deny) == {"release.test.test_data_found"} with input as f.v1_input
}

test_failed if {
	f.codes(test.deny) == {"release.test.no_failed_tests"} with input as _with_test("FAILURE")
}

test_failed_informative_warns if {
	count(test.deny) == 0 with input as _with_test("FAILURE") with data.rule_data as {"informative_tests": ["run-tests"]}
	f.codes(test.warn) == {"release.test.no_failed_informative_tests"} with input as _with_test("FAILURE") with data.rule_data as {"informative_tests": ["run-tests"]}
}

test_erred_and_skipped if {
	f.codes(test.deny) == {"release.test.no_erred_tests"} with input as _with_test("ERROR")
	f.codes(test.deny) == {"release.test.no_skipped_tests"} with input as _with_test("SKIPPED")
}

test_warning if {
	f.codes(test.warn) == {"release.test.no_test_warnings"} with input as _with_test("WARNING")
}

test_unknown_and_unparsable if {
	f.codes(test.deny) == {"release.test.test_results_known"} with input as _with_test("MAYBE")
	doc := f.v1_input_with([f.taskrun("run-tests", {"TEST_OUTPUT": "not json"})])
	some r in test.deny with input as doc
	r.msg == "Task \"run-tests\" reports an unknown test result \"<none>\""
}

test_object_output_v02 if {
	t := json.patch(f.v02_task("run-tests", {}), [{"op": "replace", "path": "/results", "value": [{"name": "TEST_OUTPUT", "value": {"result": "FAILURE"}}]}])
	f.codes(test.deny) == {"release.test.no_failed_tests"} with input as f.v02_input_with([t])
}

test_rule_data_format if {
	"release.test.rule_data_provided" in f.codes(test.deny) with input as _with_test("SUCCESS") with data.rule_data as {"informative_tests": "run-tests"}
}
