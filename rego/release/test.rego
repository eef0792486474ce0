# METADATA
# title: Test results
# description: >-
#   The tests that ran in the build pipeline (tasks with a TEST_OUTPUT
#   result, Konflux's test result format) passed.
package release.test

import rego.v1

import data.konflux.lib

# METADATA
# title: Test data found
# description: At least one task of the pipeline reports a TEST_OUTPUT result.
# custom:
#   short_name: test_data_found
#   failure_msg: No test results were found in the pipeline
#   solution: Run the required tests in the build pipeline; they report a TEST_OUTPUT result.
#   collections: [konflux]
#   depends_on: [release.attestation_type.pipelinerun_attestation_found]
deny contains result if {
	count(_outputs) == 0
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: Test results known
# description: Every TEST_OUTPUT is JSON with a result listed in supported_test_results.
# custom:
#   short_name: test_results_known
#   failure_msg: Task %q reports an unknown test result %q
#   solution: Report one of the supported results (SUCCESS, FAILURE, ERROR, SKIPPED, WARNING).
#   collections: [konflux]
deny contains result if {
	some name, output in _outputs
	value := object.get(output, "result", "<none>")
	not value in lib.rule_data("supported_test_results")
	result := lib.result_with_term(rego.metadata.chain(), [name, value], name)
}

# METADATA
# title: No failed tests
# description: No test task (other than informative_tests) reports a failed result.
# custom:
#   short_name: no_failed_tests
#   failure_msg: Test %q failed
#   solution: Fix the failing test, or list the task in informative_tests if its failures should only warn.
#   collections: [minimal, konflux]
deny contains result if {
	some name in _named("failed_test_results")
	not name in lib.rule_data("informative_tests")
	result := lib.result_with_term(rego.metadata.chain(), [name], name)
}

# METADATA
# title: No erred tests
# description: No test task reports an erred result.
# custom:
#   short_name: no_erred_tests
#   failure_msg: Test %q ended with an error
#   solution: Find why the test could not run and rerun it.
#   collections: [konflux]
deny contains result if {
	some name in _named("erred_test_results")
	result := lib.result_with_term(rego.metadata.chain(), [name], name)
}

# METADATA
# title: No skipped tests
# description: No test task reports a skipped result.
# custom:
#   short_name: no_skipped_tests
#   failure_msg: Test %q was skipped
#   solution: Run the test; a skipped test proves nothing about the image.
#   collections: [konflux]
deny contains result if {
	some name in _named("skipped_test_results")
	result := lib.result_with_term(rego.metadata.chain(), [name], name)
}

# METADATA
# title: No failed informative tests
# description: Tests listed in informative_tests only warn when they fail.
# custom:
#   short_name: no_failed_informative_tests
#   failure_msg: Informative test %q failed
#   solution: Look into the failure; it does not block the release.
#   collections: [konflux]
warn contains result if {
	some name in _named("failed_test_results")
	name in lib.rule_data("informative_tests")
	result := lib.result_with_term(rego.metadata.chain(), [name], name)
}

# METADATA
# title: No test warnings
# description: No test task reports a warning result.
# custom:
#   short_name: no_test_warnings
#   failure_msg: Test %q reported warnings
#   solution: Look into the warnings of the test.
#   collections: [konflux]
warn contains result if {
	some name in _named("warned_test_results")
	result := lib.result_with_term(rego.metadata.chain(), [name], name)
}

# _outputs maps the pipeline task name to its parsed TEST_OUTPUT; an output
# that is not a JSON object is kept as {} so it counts as an unknown result.
_outputs[task.name] := _parse(task.results.TEST_OUTPUT) if {
	some task in lib.all_tasks
	task.results.TEST_OUTPUT
}

_parse(text) := value if {
	value := json.unmarshal(text)
	is_object(value)
} else := text if is_object(text)
else := {}

_named(key) := {name |
	some name, output in _outputs
	output.result in lib.rule_data(key)
}

# METADATA
# title: Rule data provided
# description: The test result lists and informative_tests are lists of strings.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data %s has an unexpected format: %s"
#   solution: Correct the rule data in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some key in [
		"supported_test_results", "failed_test_results", "erred_test_results",
		"skipped_test_results", "warned_test_results", "informative_tests",
	]
	some msg in lib.schema_errors(lib.rule_data(key), lib.string_list_schema)
	result := lib.result_with_term(rego.metadata.chain(), [key, msg], key)
}
