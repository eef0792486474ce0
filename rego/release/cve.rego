# METADATA
# title: Vulnerabilities
# description: >-
#   The image was scanned for known vulnerabilities and has none of the
#   blocking severities. The scan task reports, in a result named in
#   cve_report_result_names (default REPORTS), a JSON object mapping image
#   digests to the OCI blob holding the scan report; the report is fetched
#   with ec.oci.blob. A report is Clair-shaped:
#   {"vulnerabilities": {ID: {"name", "normalized_severity", "issued", "fixed_in_version"}}}.
#   A vulnerability with a fixed_in_version is patched (a fix exists).
package release.cve

import rego.v1

import data.konflux.lib

# METADATA
# title: Scan report found
# description: A task of the pipeline reports a vulnerability scan report for the image.
# custom:
#   short_name: cve_results_found
#   failure_msg: No vulnerability scan report was found for image %s
#   solution: Run a vulnerability scan task (such as clair-scan) in the build pipeline.
#   collections: [konflux]
#   depends_on: [release.attestation_type.pipelinerun_attestation_found]
deny contains result if {
	count(_report_refs) == 0
	result := lib.result(rego.metadata.chain(), [object.get(input, ["image", "ref"], "")])
}

# METADATA
# title: Scan report readable
# description: Every scan report referenced for the image can be fetched and has a vulnerabilities object.
# custom:
#   short_name: cve_report_readable
#   failure_msg: The scan report %s could not be fetched or read
#   solution: Make sure the scan report blob was pushed next to the image and is readable with the policy's registry credentials.
#   collections: [konflux]
#   depends_on: [release.cve.cve_results_found]
deny contains result if {
	some ref in _report_refs
	not _reports[ref]
	result := lib.result_with_term(rego.metadata.chain(), [ref], ref)
}

# METADATA
# title: No blocking vulnerabilities
# description: >-
#   No patched vulnerability has a severity in restrict_cve_security_levels,
#   once its cve_leeway days since issue have passed.
# custom:
#   short_name: cve_blockers
#   failure_msg: Found %s vulnerability %s, which has a fix
#   solution: Update the affected package to a fixed version and rebuild.
#   collections: [konflux]
#   depends_on: [release.cve.cve_report_readable]
deny contains result if {
	some v in _vulnerabilities
	v.patched
	v.severity in lib.rule_data("restrict_cve_security_levels")
	not _within_leeway(v)
	result := lib.result_with_term(rego.metadata.chain(), [v.severity, v.name], v.name)
}

# METADATA
# title: No blocking unpatched vulnerabilities
# description: No unpatched vulnerability has a severity in restrict_unpatched_cve_security_levels.
# custom:
#   short_name: unpatched_cve_blockers
#   failure_msg: Found unpatched %s vulnerability %s
#   solution: Mitigate the vulnerability or change the base image.
#   collections: [konflux]
#   depends_on: [release.cve.cve_report_readable]
deny contains result if {
	some v in _vulnerabilities
	not v.patched
	v.severity in lib.rule_data("restrict_unpatched_cve_security_levels")
	result := lib.result_with_term(rego.metadata.chain(), [v.severity, v.name], v.name)
}

# METADATA
# title: Vulnerability warnings
# description: >-
#   Patched vulnerabilities with a severity in warn_cve_security_levels, and
#   blocking ones still within their leeway, are reported as warnings.
# custom:
#   short_name: cve_warnings
#   failure_msg: Found %s vulnerability %s, which has a fix
#   solution: Update the affected package to a fixed version.
#   collections: [konflux]
warn contains result if {
	some v in _vulnerabilities
	v.patched
	_warned(v)
	result := lib.result_with_term(rego.metadata.chain(), [v.severity, v.name], v.name)
}

_warned(v) if v.severity in lib.rule_data("warn_cve_security_levels")

_warned(v) if {
	v.severity in lib.rule_data("restrict_cve_security_levels")
	_within_leeway(v)
}

# METADATA
# title: Unpatched vulnerability warnings
# description: Unpatched vulnerabilities with a severity in warn_unpatched_cve_security_levels are reported as warnings.
# custom:
#   short_name: unpatched_cve_warnings
#   failure_msg: Found unpatched %s vulnerability %s
#   solution: Watch for a fix of the vulnerability.
#   collections: [konflux]
warn contains result if {
	some v in _vulnerabilities
	not v.patched
	v.severity in lib.rule_data("warn_unpatched_cve_security_levels")
	result := lib.result_with_term(rego.metadata.chain(), [v.severity, v.name], v.name)
}

# _report_refs are the report blob references recorded for the image's digest.
_report_refs contains ref if {
	digest := lib.image_digest(input.image.ref)
	some task in lib.all_tasks
	some name in lib.rule_data("cve_report_result_names")
	reports := _as_object(task.results[name])
	ref := reports[digest]
	is_string(ref)
}

_as_object(value) := value if is_object(value)
else := json.unmarshal(value)

_reports[ref] := report if {
	some ref in _report_refs
	report := json.unmarshal(ec.oci.blob(ref))
	is_object(report.vulnerabilities)
}

_vulnerabilities contains v if {
	some report in _reports
	some id, raw in report.vulnerabilities
	v := {
		"name": object.get(raw, "name", id),
		"severity": lower(object.get(raw, "normalized_severity", "unknown")),
		"issued": object.get(raw, "issued", ""),
		"patched": object.get(raw, "fixed_in_version", "") != "",
	}
}

_within_leeway(v) if {
	days := lib.rule_data("cve_leeway")[v.severity]
	is_number(days)
	lib.now_ns < lib.date_ns(v.issued) + days * lib.day_ns
}

# METADATA
# title: Rule data provided
# description: The severity lists hold known severities, cve_leeway maps severities to days, cve_report_result_names lists result names.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data %s has an unexpected format: %s"
#   solution: Correct the rule data in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some key, schema in _schemas
	some msg in lib.schema_errors(lib.rule_data(key), schema)
	result := lib.result_with_term(rego.metadata.chain(), [key, msg], key)
}

_severities := ["critical", "high", "medium", "low", "unknown"]

_level_schema := {"type": "array", "uniqueItems": true, "items": {"enum": _severities}}

_schemas := {
	"restrict_cve_security_levels": _level_schema,
	"warn_cve_security_levels": _level_schema,
	"restrict_unpatched_cve_security_levels": _level_schema,
	"warn_unpatched_cve_security_levels": _level_schema,
	"cve_leeway": {
		"type": "object",
		"propertyNames": {"enum": _severities},
		"additionalProperties": {"type": "integer", "minimum": 0},
	},
	"cve_report_result_names": lib.non_empty_string_list_schema,
}
