package release.sbom_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.sbom

test_sbom_found if {
	count(sbom.deny) == 0 with input as f.sbom_input
}

test_no_sbom if {
	f.codes(sbom.deny) == {"release.sbom.found"} with input as f.v1_input
}

test_invalid_purl if {
	doc := {"attestations": [f.attestation(f.cyclonedx_statement([{"name": "x", "purl": "not-a-purl"}]))]}
	some r in sbom.deny with input as doc
	r.code == "release.sbom.valid_purls"
	r.term == "not-a-purl"
}

test_rule_data_format if {
	f.codes(sbom.deny) == {"release.sbom.rule_data_provided"} with input as f.sbom_input
		with data.rule_data as {"disallowed_packages": [{"purl": "npm/x"}]}
}
