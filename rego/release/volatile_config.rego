# METADATA
# title: Volatile configuration
# description: >-
#   Warns about volatileConfig entries of the policy (input.policy_spec) that
#   deserve attention: not yet in effect, about to expire, expired, or never
#   expiring.
package release.volatile_config

import rego.v1

import data.konflux.lib

_entries contains [kind, entry] if {
	some source in input.policy_spec.sources
	some kind in ["include", "exclude"]
	some entry in object.get(source, ["volatileConfig", kind], [])
	is_object(entry)
}

_value(entry) := object.get(entry, "value", "")

# METADATA
# title: Pending entry
# description: An entry whose effectiveOn is in the future has no effect yet.
# custom:
#   short_name: pending
#   failure_msg: Volatile %s entry %q takes effect on %s
#   solution: Nothing to do if that is intended.
#   collections: [konflux]
warn contains result if {
	some [kind, entry] in _entries
	lib.date_ns(entry.effectiveOn) > lib.now_ns
	result := lib.result_with_term(rego.metadata.chain(), [kind, _value(entry), entry.effectiveOn], _value(entry))
}

# METADATA
# title: Expiring entry
# description: An entry whose effectiveUntil is within volatile_config_warning_threshold_days.
# custom:
#   short_name: expiring
#   failure_msg: Volatile %s entry %q expires on %s
#   solution: Fix what the entry works around before it expires, or extend it.
#   collections: [konflux]
warn contains result if {
	some [kind, entry] in _entries
	until := lib.date_ns(entry.effectiveUntil)
	days := lib.rule_data("volatile_config_warning_threshold_days")
	is_number(days)
	until > lib.now_ns
	until <= lib.now_ns + days * lib.day_ns
	result := lib.result_with_term(rego.metadata.chain(), [kind, _value(entry), entry.effectiveUntil], _value(entry))
}

# METADATA
# title: Expired entry
# description: An entry whose effectiveUntil has passed no longer applies and can be removed.
# custom:
#   short_name: expired
#   failure_msg: Volatile %s entry %q expired on %s
#   solution: Remove the entry from the policy.
#   collections: [konflux]
warn contains result if {
	some [kind, entry] in _entries
	lib.date_ns(entry.effectiveUntil) <= lib.now_ns
	result := lib.result_with_term(rego.metadata.chain(), [kind, _value(entry), entry.effectiveUntil], _value(entry))
}

# METADATA
# title: Unbounded entry
# description: An entry without effectiveUntil never expires; volatile configuration should be temporary.
# custom:
#   short_name: unbounded
#   failure_msg: Volatile %s entry %q has no effectiveUntil
#   solution: Give the entry an end date.
#   collections: [konflux]
warn contains result if {
	some [kind, entry] in _entries
	not entry.effectiveUntil
	result := lib.result_with_term(rego.metadata.chain(), [kind, _value(entry)], _value(entry))
}

# METADATA
# title: Rule data provided
# description: volatile_config_warning_threshold_days is a non-negative integer.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data volatile_config_warning_threshold_days has an unexpected format: %s"
#   solution: Correct volatile_config_warning_threshold_days in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some msg in lib.schema_errors(lib.rule_data("volatile_config_warning_threshold_days"), {"type": "integer", "minimum": 0})
	result := lib.result_with_term(rego.metadata.chain(), [msg], "volatile_config_warning_threshold_days")
}
