package release.cve_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.cve

_report_ref := "quay.io/org/app@sha256:5555555555555555555555555555555555555555555555555555555555555555"

_scanned := f.v1_input_with([
	f.taskrun("buildah", f.build_results),
	f.taskrun("clair-scan", {"REPORTS": json.marshal({f.digest: _report_ref})}),
])

_report(vulns) := json.marshal({"vulnerabilities": vulns})

# Only the recorded reference resolves: proves the rule fetches the right blob.
_blob_clean(ref) := _report({}) if ref == _report_ref

_critical_fixed := {"1": {"name": "CVE-2024-1", "normalized_severity": "Critical", "issued": "2024-01-01T00:00:00Z", "fixed_in_version": "1.2"}}

_high_unfixed := {"2": {"name": "CVE-2024-2", "normalized_severity": "High", "issued": "2024-01-01T00:00:00Z", "fixed_in_version": ""}}

_medium_fixed := {"3": {"name": "CVE-2024-3", "normalized_severity": "Medium", "fixed_in_version": "2"}}

_now := time.parse_rfc3339_ns("2024-01-05T00:00:00Z")

test_clean_report_passes if {
	count(cve.deny) == 0 with input as _scanned with ec.oci.blob as _blob_clean
	count(cve.warn) == 0 with input as _scanned with ec.oci.blob as _blob_clean
}

test_no_scan if {
	f.codes(cve.deny) == {"release.cve.cve_results_found"} with input as f.v1_input
}

test_unreadable_report if {
	f.codes(cve.deny) == {"release.cve.cve_report_readable"} with input as _scanned with ec.oci.blob as "not json"
}

test_critical_fixed_blocks if {
	some r in cve.deny with input as _scanned with ec.oci.blob as _report(_critical_fixed)
	r.code == "release.cve.cve_blockers"
	r.msg == "Found critical vulnerability CVE-2024-1, which has a fix"
}

test_leeway_turns_block_into_warning if {
	count(cve.deny) == 0 with input as _scanned with ec.oci.blob as _report(_critical_fixed)
		with data.rule_data as {"cve_leeway": {"critical": 7}} with data.config.policy.when_ns as _now
	f.codes(cve.warn) == {"release.cve.cve_warnings"} with input as _scanned with ec.oci.blob as _report(_critical_fixed)
		with data.rule_data as {"cve_leeway": {"critical": 7}} with data.config.policy.when_ns as _now
}

test_unpatched if {
	f.codes(cve.warn) == {"release.cve.unpatched_cve_warnings"} with input as _scanned with ec.oci.blob as _report(_high_unfixed)
	count(cve.deny) == 0 with input as _scanned with ec.oci.blob as _report(_high_unfixed)
	f.codes(cve.deny) == {"release.cve.unpatched_cve_blockers"} with input as _scanned with ec.oci.blob as _report(_high_unfixed)
		with data.rule_data as {"restrict_unpatched_cve_security_levels": ["high"]}
}

test_medium_warns if {
	f.codes(cve.warn) == {"release.cve.cve_warnings"} with input as _scanned with ec.oci.blob as _report(_medium_fixed)
}

test_reports_as_object_v02 if {
	t := json.patch(f.v02_task("clair-scan", {}), [{"op": "replace", "path": "/results", "value": [{"name": "REPORTS", "value": {f.digest: _report_ref}}]}])
	f.codes(cve.deny) == {"release.cve.cve_blockers"} with input as f.v02_input_with([t]) with ec.oci.blob as _report(_critical_fixed)
}

test_rule_data_format if {
	f.codes(cve.deny) == {"release.cve.rule_data_provided"} with input as _scanned with ec.oci.blob as _blob_clean
		with data.rule_data as {"cve_leeway": {"severe": 1}, "warn_cve_security_levels": ["bad"]}
}
