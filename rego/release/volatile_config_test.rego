package release.volatile_config_test

import rego.v1

import data.release.volatile_config as volatile

_now := time.parse_rfc3339_ns("2025-01-01T00:00:00Z")

_spec(entry) := {"policy_spec": {"sources": [{"volatileConfig": {"exclude": [entry]}}]}}

test_bounded_entry_is_quiet if {
	count(volatile.warn) == 0 with input as _spec({"value": "cve", "effectiveOn": "2024-01-01", "effectiveUntil": "2026-01-01"})
		with data.config.policy.when_ns as _now
	count(volatile.warn) == 0 with input as {}
}

test_pending if {
	some r in volatile.warn with input as _spec({"value": "cve", "effectiveOn": "2025-06-01", "effectiveUntil": "2026-01-01"})
		with data.config.policy.when_ns as _now
	r.code == "release.volatile_config.pending"
	r.msg == "Volatile exclude entry \"cve\" takes effect on 2025-06-01"
}

test_expiring if {
	some r in volatile.warn with input as _spec({"value": "cve", "effectiveUntil": "2025-01-10T00:00:00Z"})
		with data.config.policy.when_ns as _now
	r.code == "release.volatile_config.expiring"
}

test_expired if {
	some r in volatile.warn with input as _spec({"value": "cve", "effectiveUntil": "2024-12-01"})
		with data.config.policy.when_ns as _now
	r.code == "release.volatile_config.expired"
}

test_unbounded if {
	some r in volatile.warn with input as _spec({"value": "cve"}) with data.config.policy.when_ns as _now
	r.code == "release.volatile_config.unbounded"
	r.term == "cve"
}

test_rule_data_format if {
	count(volatile.deny) == 0
	some r in volatile.deny with data.rule_data as {"volatile_config_warning_threshold_days": "30"}
	r.code == "release.volatile_config.rule_data_provided"
}
