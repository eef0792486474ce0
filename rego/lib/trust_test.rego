package konflux.lib_test

import rego.v1

import data.konflux.lib
import data.konflux.lib.fixtures as f

_key := "oci://quay.io/t/task-x:0.1"

_data := {_key: [
	{"ref": "sha256:new", "effective_on": "2025-01-01T00:00:00Z"},
	{"ref": "sha256:old", "effective_on": "2024-01-01T00:00:00Z", "expires_on": "2025-02-01T00:00:00Z"},
	{"ref": "sha256:gone", "effective_on": "2023-01-01T00:00:00Z", "expires_on": "2024-01-01T00:00:00Z"},
]}

_now := time.parse_rfc3339_ns("2025-01-15T00:00:00Z")

_ref(pin) := {"kind": "bundle", "key": _key, "pin": pin}

test_trusted_current_and_expiring if {
	lib.trusted(_ref("sha256:new")) with data.rule_data as {"trusted_tasks": _data} with data.config.policy.when_ns as _now
	lib.current(_ref("sha256:new")) with data.rule_data as {"trusted_tasks": _data} with data.config.policy.when_ns as _now
	lib.trusted(_ref("sha256:old")) with data.rule_data as {"trusted_tasks": _data} with data.config.policy.when_ns as _now
	not lib.current(_ref("sha256:old")) with data.rule_data as {"trusted_tasks": _data} with data.config.policy.when_ns as _now
	lib.expires_within(_ref("sha256:old"), 30) with data.rule_data as {"trusted_tasks": _data} with data.config.policy.when_ns as _now
	not lib.expires_within(_ref("sha256:old"), 1) with data.rule_data as {"trusted_tasks": _data} with data.config.policy.when_ns as _now
}

test_untrusted if {
	not lib.trusted(_ref("sha256:gone")) with data.rule_data as {"trusted_tasks": _data} with data.config.policy.when_ns as _now
	not lib.trusted(_ref("sha256:other")) with data.rule_data as {"trusted_tasks": _data}
	not lib.trusted(_ref("")) with data.rule_data as {"trusted_tasks": _data}
	not lib.trusted(_ref("sha256:new")) with data.rule_data as {"trusted_tasks": "bad"}
}

test_ec_track_bundle_data_is_read_when_rule_data_has_none if {
	ec_data := {_key: [{"ref": "sha256:new"}, {"ref": "sha256:old", "expires_on": "2025-02-01T00:00:00Z"}]}
	lib.trusted(_ref("sha256:new")) with data.trusted_tasks as ec_data with data.rule_data as {} with data.config.policy.when_ns as _now
	lib.current(_ref("sha256:new")) with data.trusted_tasks as ec_data with data.rule_data as {} with data.config.policy.when_ns as _now
	not lib.current(_ref("sha256:old")) with data.trusted_tasks as ec_data with data.rule_data as {} with data.config.policy.when_ns as _now
	not lib.trusted(_ref("sha256:new")) with data.trusted_tasks as ec_data with data.rule_data as {"trusted_tasks": {_key: [{"ref": "sha256:x"}]}} with data.config.policy.when_ns as _now
}

test_untagged_bundle_matches_repository if {
	lib.trusted({"kind": "bundle", "key": "oci://quay.io/t/task-x", "pin": "sha256:new"}) with data.rule_data as {"trusted_tasks": _data}
}

test_schema if {
	lib.schema_errors(_data, lib.trusted_tasks_schema) == []
	lib.schema_errors(f.trusted_tasks, lib.trusted_tasks_schema) == []
	count(lib.schema_errors({"x": []}, lib.trusted_tasks_schema)) > 0
}
