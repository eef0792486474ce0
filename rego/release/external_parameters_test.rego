package release.external_parameters_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.external_parameters as params

_run_spec(spec) := json.patch(f.v1_input, [{"op": "replace", "path": "/attestations/0/statement/predicate/buildDefinition/externalParameters/runSpec", "value": spec}])

test_allowed_params if {
	count(params.deny) == 0 with input as f.v1_input
	count(params.deny) == 0 with input as f.v02_input
}

test_unexpected_param if {
	some r in params.deny with input as _run_spec({"params": [{"name": "git-url", "value": "x"}, {"name": "skip-checks", "value": "true"}]})
	r.code == "release.external_parameters.pipeline_run_params"
	r.term == "skip-checks"
}

test_unnamed_param if {
	some r in params.deny with input as _run_spec({"params": [{"value": "x"}]})
	r.term == "<unnamed>"
}

test_shared_volume if {
	doc := _run_spec({"workspaces": [{"name": "source", "persistentVolumeClaim": {"claimName": "shared"}}, {"name": "tmp", "emptyDir": {}}]})
	some r in params.deny with input as doc
	r.msg == "Workspace \"source\" uses the persistent volume claim \"shared\""
}

test_rule_data_format if {
	f.codes(params.deny) == {"release.external_parameters.rule_data_provided"} with input as f.v02_input
		with data.rule_data as {"allowed_pipeline_run_params": {"git-url": true}}
}
