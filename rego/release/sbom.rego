# METADATA
# title: SBOM
# description: The image has a Software Bill of Materials attested, in CycloneDX or SPDX format, whose package URLs are valid.
package release.sbom

import rego.v1

import data.konflux.lib

# METADATA
# title: SBOM found
# description: At least one attestation carries a CycloneDX or SPDX SBOM.
# custom:
#   short_name: found
#   failure_msg: No SBOM attestation was found
#   solution: Attest the image's SBOM (CycloneDX or SPDX) when building it.
#   collections: [minimal, konflux]
deny contains result if {
	count(lib.cyclonedx_sboms) + count(lib.spdx_sboms) == 0
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: Package URLs valid
# description: Every package URL in the SBOMs parses as a purl.
# custom:
#   short_name: valid_purls
#   failure_msg: Package %q has an invalid package URL %q
#   solution: Fix the SBOM generator so it writes valid package URLs.
#   collections: [konflux]
deny contains result if {
	some pkg in lib.sbom_packages
	not ec.purl.is_valid(pkg.purl)
	result := lib.result_with_term(rego.metadata.chain(), [pkg.name, pkg.purl], pkg.purl)
}

# METADATA
# title: Rule data provided
# description: disallowed_packages is a list of {purl, min?, max?} rules.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data disallowed_packages has an unexpected format: %s"
#   solution: Correct disallowed_packages in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some msg in lib.schema_errors(lib.rule_data("disallowed_packages"), lib.disallowed_packages_schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "disallowed_packages")
}
