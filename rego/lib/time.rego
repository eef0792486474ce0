package konflux.lib

import rego.v1

# now_ns is the effective time: the engine's --effective-time
# (data.config.policy.when_ns), or the clock when evaluated without it.
now_ns := data.config.policy.when_ns if {
	is_number(data.config.policy.when_ns)
} else := time.now_ns()

day_ns := ((24 * 60) * 60) * 1000000000

# date_ns(text) reads an RFC 3339 timestamp or a YYYY-MM-DD date (midnight UTC);
# undefined for anything else.
date_ns(text) := ns if {
	ns := time.parse_rfc3339_ns(text)
} else := ns if {
	ns := time.parse_ns("2006-01-02", text)
}

# in_effect(record) holds when the record's effective_on (if any) is not in
# the future. A record with an unreadable effective_on is never in effect.
in_effect(record) if {
	not record.effective_on
}

in_effect(record) if {
	date_ns(record.effective_on) <= now_ns
}

# expired(record) holds when the record has an expires_on that has passed.
expired(record) if {
	date_ns(record.expires_on) <= now_ns
}

# current_record(records) is the newest record in effect, by effective_on.
# Records are listed newest first, so of records taking effect at the same
# time the one listed first wins (`konflux policy track-task` stamps seconds:
# two versions tracked within one second tie). Sorting on the negated index
# makes max() prefer the lowest index among equal dates.
current_record(records) := newest if {
	dated := [[date_ns(object.get(r, "effective_on", "1970-01-01")), 0 - i] |
		some i, r in records
		in_effect(r)
	]
	count(dated) > 0
	newest := records[0 - max(dated)[1]]
}

# future_records(records) are the records not yet in effect.
future_records(records) := [r |
	some r in records
	date_ns(r.effective_on) > now_ns
]
