package release.schedule_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.schedule

# 2025-01-04 is a Saturday.
_saturday := time.parse_rfc3339_ns("2025-01-04T10:00:00Z")

test_allowed_day if {
	count(schedule.deny) == 0 with input as f.v1_input with data.config.policy.when_ns as _saturday
		with data.rule_data as {"disallowed_weekdays": ["sunday"], "disallowed_dates": ["2025-12-25"]}
}

test_disallowed_weekday if {
	some r in schedule.deny with input as f.v1_input with data.config.policy.when_ns as _saturday
		with data.rule_data as {"disallowed_weekdays": ["Saturday", "sunday"]}
	r.code == "release.schedule.weekday_restriction"
	r.msg == "Releases are not allowed on saturday"
}

test_disallowed_date if {
	f.codes(schedule.deny) == {"release.schedule.date_restriction"} with input as f.v1_input with data.config.policy.when_ns as _saturday
		with data.rule_data as {"disallowed_dates": ["2025-01-04"]}
}

test_rule_data_format if {
	f.codes(schedule.deny) == {"release.schedule.rule_data_provided"} with input as f.v1_input with data.config.policy.when_ns as _saturday
		with data.rule_data as {"disallowed_weekdays": ["someday"], "disallowed_dates": ["04/01/2025"]}
}
