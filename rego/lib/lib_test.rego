package konflux.lib_test

import rego.v1

import data.konflux.lib

# METADATA
# custom:
#   short_name: sample
#   failure_msg: Sample %s
#   collections: [minimal]
_sample_result := lib.result_with_term(rego.metadata.chain(), ["x"], "t")

test_result_from_annotations if {
	_sample_result == {
		"code": "konflux.lib_test.sample",
		"msg": "Sample x",
		"term": "t",
		"collections": ["minimal"],
	}
}

test_rule_data_order if {
	lib.rule_data("k") == 1 with data.rule_data__configuration__ as {"k": 1} with data.rule_data as {"k": 2}
	lib.rule_data("k") == 2 with data.rule_data as {"k": 2}
	lib.rule_data("supported_vcs") == ["git"]
	lib.rule_data("unknown") == []
}

test_schema_errors if {
	lib.schema_errors(["a"], lib.string_list_schema) == []
	count(lib.schema_errors([1], lib.string_list_schema)) == 1
	lib.rule_data_errors("k", lib.non_empty_string_list_schema) == ["k (root): Array must have at least 1 items"] with data.rule_data as {"k": []}
}

test_now_ns if {
	lib.now_ns == 5 with data.config.policy.when_ns as 5
	lib.now_ns > 0
}

test_dates if {
	lib.date_ns("2024-01-02") == time.parse_rfc3339_ns("2024-01-02T00:00:00Z")
	lib.date_ns("2024-01-02T03:00:00Z") == time.parse_rfc3339_ns("2024-01-02T03:00:00Z")
	not lib.date_ns("yesterday")
}

test_records if {
	records := [
		{"v": 3, "effective_on": "2030-01-01"},
		{"v": 2, "effective_on": "2024-06-01"},
		{"v": 1, "effective_on": "2024-01-01", "expires_on": "2024-07-01"},
	]
	now := time.parse_rfc3339_ns("2025-01-01T00:00:00Z")
	lib.current_record(records).v == 2 with data.config.policy.when_ns as now
	[r.v | some r in lib.future_records(records)] == [3] with data.config.policy.when_ns as now
	lib.expired(records[2]) with data.config.policy.when_ns as now
	not lib.expired(records[1]) with data.config.policy.when_ns as now
	lib.in_effect({}) with data.config.policy.when_ns as now
	not lib.current_record([{"effective_on": "2030-01-01"}]) with data.config.policy.when_ns as now
}

test_current_record_prefers_the_first_listed_of_equal_dates if {
	now := time.parse_rfc3339_ns("2025-01-01T00:00:00Z")
	records := [
		{"v": 3, "effective_on": "2024-06-01T10:00:00Z"},
		{"v": 2, "effective_on": "2024-06-01T10:00:00Z"},
		{"v": 1, "effective_on": "2024-01-01T00:00:00Z"},
	]
	lib.current_record(records).v == 3 with data.config.policy.when_ns as now
}

test_image_refs if {
	lib.parse_image_ref("localhost:5000/org/app:1.0@sha256:ab") == {"repo": "localhost:5000/org/app", "tag": "1.0", "digest": "sha256:ab"}
	lib.parse_image_ref("localhost:5000/org/app") == {"repo": "localhost:5000/org/app", "tag": "", "digest": ""}
	lib.image_repo("app@sha256:ab") == "app"
	lib.image_digest("app:1") == ""
	not lib.parse_image_ref(1)
	lib.pinned_digest("sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945")
	not lib.pinned_digest("sha256:abc")
	lib.has_prefix("quay.io/x", ["docker.io/", "quay.io/"])
	not lib.has_prefix("quay.io/x", ["docker.io/"])
}
