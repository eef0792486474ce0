package konflux.lib

import rego.v1

# SBOMs of the image: attested ones (CycloneDX predicates "https://cyclonedx.org/bom"
# with or without a version suffix, SPDX documents "https://spdx.dev/Document"), and the
# one its build task named in the signed provenance: the SBOM_BLOB_URL result
# (repository@digest of the uploaded document) of the build task whose IMAGE_DIGEST
# is this image's. The blob is read by digest, so the provenance's signature covers it.
cyclonedx_sboms := array.concat(
	[s.predicate |
		some s in statements
		startswith(object.get(s, "predicateType", ""), "https://cyclonedx.org/bom")
	],
	[doc | some doc in _provenance_sboms; doc.bomFormat == "CycloneDX"],
)

spdx_sboms := array.concat(
	[s.predicate |
		some s in statements
		object.get(s, "predicateType", "") == "https://spdx.dev/Document"
	],
	[doc | some doc in _provenance_sboms; doc.SPDXID == "SPDXRef-DOCUMENT"],
)

_provenance_sboms contains doc if {
	some task in build_tasks
	task.results.IMAGE_DIGEST == image_digest(input.image.ref)
	blob := task.results.SBOM_BLOB_URL
	is_string(blob)
	doc := json.unmarshal(ec.oci.blob(blob))
	is_object(doc)
}

# sbom_packages are {name, purl} of every package of every SBOM: CycloneDX
# components (top level and nested one level) and SPDX packages' purl refs.
sbom_packages contains {"name": object.get(c, "name", ""), "purl": c.purl} if {
	some sbom in cyclonedx_sboms
	some c in _cyclonedx_components(sbom)
	is_string(c.purl)
}

sbom_packages contains {"name": object.get(p, "name", ""), "purl": ref.referenceLocator} if {
	some sbom in spdx_sboms
	some p in sbom.packages
	some ref in p.externalRefs
	ref.referenceType == "purl"
	is_string(ref.referenceLocator)
}

_cyclonedx_components(sbom) := array.concat(top, nested) if {
	top := [c | some c in object.get(sbom, "components", []); is_object(c)]
	nested := [n | some c in top; some n in object.get(c, "components", []); is_object(n)]
}

# base_images are the image references CycloneDX SBOMs mark as base images
# (property konflux:container:is_base_image, in components or formulation):
# the purl's repository_url qualifier, else the component name.
base_images contains ref if {
	some sbom in cyclonedx_sboms
	some c in array.concat(
		_cyclonedx_components(sbom),
		[c | some f in object.get(sbom, "formulation", []); some c in object.get(f, "components", [])],
	)
	some p in object.get(c, "properties", [])
	p.name == "konflux:container:is_base_image"
	ref := _component_image(c)
}

_component_image(c) := q.value if {
	parsed := ec.purl.parse(c.purl)
	some q in parsed.qualifiers
	q.key == "repository_url"
} else := c.name

# purl_matches(purl, rule) holds when the package URL is covered by a
# disallowed_packages rule {purl, min?, max?}: same type, namespace and name,
# and a version within [min, max] (both inclusive, compared as semver with
# any leading "v" ignored). A version that is not semver is treated as
# inside any range: the rule cannot prove it safe.
purl_matches(purl, rule) if {
	pkg := ec.purl.parse(purl)
	want := ec.purl.parse(rule.purl)
	[pkg.type, pkg.namespace, pkg.name] == [want.type, want.namespace, want.name]
	_in_range(pkg.version, rule)
}

_in_range(version, rule) if {
	not semver.is_valid(trim_prefix(version, "v"))
}

_in_range(version, rule) if {
	v := trim_prefix(version, "v")
	semver.is_valid(v)
	not _below(v, rule)
	not _above(v, rule)
}

_below(v, rule) if semver.compare(v, trim_prefix(rule.min, "v")) < 0

_above(v, rule) if semver.compare(v, trim_prefix(rule.max, "v")) > 0

disallowed_packages_schema := {
	"type": "array",
	"items": {
		"type": "object",
		"required": ["purl"],
		"properties": {
			"purl": {"type": "string", "pattern": "^pkg:"},
			"min": {"type": "string"},
			"max": {"type": "string"},
		},
		"additionalProperties": false,
	},
}
