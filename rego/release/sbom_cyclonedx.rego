# METADATA
# title: CycloneDX SBOM
# description: >-
#   CycloneDX SBOMs of the image use a supported specification version, are
#   well formed, and list no disallowed package.
package release.sbom_cyclonedx

import rego.v1

import data.konflux.lib

# METADATA
# title: Supported CycloneDX version
# description: Every CycloneDX SBOM's specVersion is listed in supported_cyclonedx_versions.
# custom:
#   short_name: supported_version
#   failure_msg: CycloneDX version %q is not supported
#   solution: Generate the SBOM with a supported CycloneDX version.
#   collections: [konflux]
deny contains result if {
	some sbom in lib.cyclonedx_sboms
	version := object.get(sbom, "specVersion", "<none>")
	not version in lib.rule_data("supported_cyclonedx_versions")
	result := lib.result_with_term(rego.metadata.chain(), [version], version)
}

# METADATA
# title: Valid CycloneDX SBOM
# description: Every CycloneDX SBOM matches the CycloneDX document structure (bomFormat, specVersion, typed and named components).
# custom:
#   short_name: valid
#   failure_msg: "CycloneDX SBOM is not valid: %s"
#   solution: Fix the SBOM generator so it writes valid CycloneDX.
#   collections: [konflux]
deny contains result if {
	some sbom in lib.cyclonedx_sboms
	some msg in lib.schema_errors(sbom, _cyclonedx_schema)
	result := lib.result(rego.metadata.chain(), [msg])
}

# METADATA
# title: Allowed packages
# description: No component's package URL matches a disallowed_packages rule (purl without version, optional semver min and max).
# custom:
#   short_name: allowed_packages
#   failure_msg: Package %s is not allowed
#   solution: Remove the package or update it to a version outside the disallowed range.
#   collections: [konflux]
deny contains result if {
	some pkg in lib.sbom_packages
	some rule in lib.rule_data("disallowed_packages")
	lib.purl_matches(pkg.purl, rule)
	result := lib.result_with_term(rego.metadata.chain(), [pkg.purl], pkg.purl)
}

_component_schema := {
	"type": "object",
	"required": ["type", "name"],
	"properties": {
		"type": {"enum": [
			"application", "framework", "library", "container", "platform",
			"operating-system", "device", "device-driver", "firmware", "file",
			"machine-learning-model", "data", "cryptographic-asset",
		]},
		"name": {"type": "string"},
		"version": {"type": "string"},
		"purl": {"type": "string"},
		"components": {"type": "array", "items": {"type": "object", "required": ["type", "name"]}},
	},
}

_cyclonedx_schema := {
	"type": "object",
	"required": ["bomFormat", "specVersion"],
	"properties": {
		"bomFormat": {"const": "CycloneDX"},
		"specVersion": {"type": "string"},
		"version": {"type": "integer", "minimum": 1},
		"components": {"type": "array", "items": _component_schema},
		"metadata": {"type": "object"},
		"formulation": {"type": "array"},
	},
}

# METADATA
# title: Rule data provided
# description: supported_cyclonedx_versions is a non-empty list of strings.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data supported_cyclonedx_versions has an unexpected format: %s"
#   solution: Correct supported_cyclonedx_versions in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some msg in lib.schema_errors(lib.rule_data("supported_cyclonedx_versions"), lib.non_empty_string_list_schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "supported_cyclonedx_versions")
}
