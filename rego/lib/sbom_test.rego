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

# The build task names its SBOM blob in the signed provenance (SBOM_BLOB_URL); the blob
# is read by digest, for the image the build task built, in both SLSA versions.
_sbom_blob := json.marshal({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": "x", "purl": "pkg:npm/x@1"}]})

_blob_url := "quay.io/org/app@sha256:3333333333333333333333333333333333333333333333333333333333333333"

_build_with_sbom := object.union(f.build_results, {"SBOM_BLOB_URL": _blob_url})

_fetch(ref) := _sbom_blob if ref == _blob_url

test_sbom_from_provenance_v02 if {
	doc := f.v02_input_with([f.v02_task("buildah", _build_with_sbom)])
	lib.sbom_packages == {{"name": "x", "purl": "pkg:npm/x@1"}} with input as doc with ec.oci.blob as _fetch
}

test_sbom_from_provenance_v1 if {
	doc := f.v1_input_with([f.taskrun("buildah", _build_with_sbom)])
	count(lib.cyclonedx_sboms) == 1 with input as doc with ec.oci.blob as _fetch
}

test_sbom_of_another_image_is_not_this_ones if {
	other := object.union(_build_with_sbom, {"IMAGE_DIGEST": f.other_digest})
	doc := f.v02_input_with([f.v02_task("buildah", other)])
	count(lib.cyclonedx_sboms) == 0 with input as doc with ec.oci.blob as _fetch
}

test_unreadable_sbom_blob_is_no_sbom if {
	doc := f.v02_input_with([f.v02_task("buildah", _build_with_sbom)])
	count(lib.cyclonedx_sboms) == 0 with input as doc with ec.oci.blob as "not json"
}
