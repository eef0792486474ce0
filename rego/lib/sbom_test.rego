package konflux.lib_test

import rego.v1

import data.konflux.lib
import data.konflux.lib.fixtures as f

test_sbom_packages_from_both_formats if {
	doc := {"attestations": [
		f.attestation(f.cyclonedx_statement([{"name": "a", "purl": "pkg:npm/a@1.0.0", "components": [{"name": "b", "purl": "pkg:npm/b@2"}]}])),
		f.attestation({"predicateType": "https://spdx.dev/Document", "predicate": {"packages": [
			{"name": "c", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:rpm/c@3"}]},
		]}}),
	]}
	lib.sbom_packages == {
		{"name": "a", "purl": "pkg:npm/a@1.0.0"},
		{"name": "b", "purl": "pkg:npm/b@2"},
		{"name": "c", "purl": "pkg:rpm/c@3"},
	} with input as doc
}

test_base_images if {
	doc := {"attestations": [f.attestation(f.cyclonedx_statement([f.base_image("registry.access.redhat.com/ubi9/ubi")]))]}
	lib.base_images == {"registry.access.redhat.com/ubi9/ubi"} with input as doc
	named := {"name": "docker.io/library/alpine", "purl": "pkg:generic/x", "properties": [{"name": "konflux:container:is_base_image", "value": "true"}]}
	lib.base_images == {"docker.io/library/alpine"} with input as {"attestations": [f.attestation(f.cyclonedx_statement([named]))]}
}

test_purl_matches if {
	lib.purl_matches("pkg:golang/github.com/x/y@v1.2.0", {"purl": "pkg:golang/github.com/x/y"})
	lib.purl_matches("pkg:golang/github.com/x/y@v1.2.0", {"purl": "pkg:golang/github.com/x/y", "min": "v1.0.0", "max": "1.2.0"})
	not lib.purl_matches("pkg:golang/github.com/x/y@v1.3.0", {"purl": "pkg:golang/github.com/x/y", "max": "1.2.0"})
	not lib.purl_matches("pkg:golang/github.com/x/y@v0.9.0", {"purl": "pkg:golang/github.com/x/y", "min": "1.0.0"})
	lib.purl_matches("pkg:golang/github.com/x/y@abc", {"purl": "pkg:golang/github.com/x/y", "min": "1.0.0"})
	not lib.purl_matches("pkg:golang/github.com/x/z@v1.2.0", {"purl": "pkg:golang/github.com/x/y"})
}
