# METADATA
# title: Release schedule
# description: Releases do not happen on disallowed weekdays or dates (at the effective time).
package release.schedule

import rego.v1

import data.konflux.lib

_weekday := lower(time.weekday(lib.now_ns))

_date := sprintf("%04d-%02d-%02d", time.date(lib.now_ns))

# METADATA
# title: Weekday restriction
# description: The effective time is not on a weekday listed in disallowed_weekdays.
# custom:
#   short_name: weekday_restriction
#   failure_msg: Releases are not allowed on %s
#   solution: Release on another day, or change disallowed_weekdays.
#   collections: [konflux]
deny contains result if {
	_weekday in {lower(d) | some d in lib.rule_data("disallowed_weekdays"); is_string(d)}
	result := lib.result_with_term(rego.metadata.chain(), [_weekday], _weekday)
}

# METADATA
# title: Date restriction
# description: The effective date is not listed in disallowed_dates.
# custom:
#   short_name: date_restriction
#   failure_msg: Releases are not allowed on %s
#   solution: Release on another date, or change disallowed_dates.
#   collections: [konflux]
deny contains result if {
	_date in lib.rule_data("disallowed_dates")
	result := lib.result_with_term(rego.metadata.chain(), [_date], _date)
}

# METADATA
# title: Rule data provided
# description: disallowed_weekdays lists weekday names and disallowed_dates lists YYYY-MM-DD dates.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data %s has an unexpected format: %s"
#   solution: Correct the rule data in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some key, schema in {
		"disallowed_weekdays": {"type": "array", "uniqueItems": true, "items": {"type": "string", "pattern": "^(?i)(monday|tuesday|wednesday|thursday|friday|saturday|sunday)$"}},
		"disallowed_dates": {"type": "array", "uniqueItems": true, "items": {"type": "string", "format": "date"}},
	}
	some msg in lib.schema_errors(lib.rule_data(key), schema)
	result := lib.result_with_term(rego.metadata.chain(), [key, msg], key)
}
