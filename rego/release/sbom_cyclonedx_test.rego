package release.sbom_cyclonedx_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.sbom_cyclonedx as cdx

_sbom_path := "/attestations/1/statement/predicate"

test_valid_sbom_passes if {
	count(cdx.deny) == 0 with input as f.sbom_input
}

test_unsupported_version if {
	doc := json.patch(f.sbom_input, [{"op": "replace", "path": concat("", [_sbom_path, "/specVersion"]), "value": "1.2"}])
	f.codes(cdx.deny) == {"release.sbom_cyclonedx.supported_version"} with input as doc
}

test_invalid_sbom if {
	doc := json.patch(f.sbom_input, [{"op": "replace", "path": concat("", [_sbom_path, "/components/1/type"]), "value": "gadget"}])
	some r in cdx.deny with input as doc
	r.code == "release.sbom_cyclonedx.valid"
	startswith(r.msg, "CycloneDX SBOM is not valid: components.1.type")
}

test_disallowed_package if {
	some r in cdx.deny with input as f.sbom_input with data.rule_data as {"disallowed_packages": [{"purl": "pkg:golang/github.com/x/y", "max": "v1.2.9"}]}
	r.code == "release.sbom_cyclonedx.allowed_packages"
	r.term == "pkg:golang/github.com/x/y@v1.2.0"
	count(cdx.deny) == 0 with input as f.sbom_input with data.rule_data as {"disallowed_packages": [{"purl": "pkg:golang/github.com/x/y", "min": "v1.3.0"}]}
}

test_rule_data_format if {
	"release.sbom_cyclonedx.rule_data_provided" in f.codes(cdx.deny) with input as f.sbom_input
		with data.rule_data as {"supported_cyclonedx_versions": []}
}
