# METADATA
# title: Base image registries
# description: >-
#   The image's base images come from allowed registries. Base images are
#   the components a CycloneDX SBOM marks with konflux:container:is_base_image,
#   and the parent image when the input names it.
package release.base_image_registries

import rego.v1

import data.konflux.lib

# METADATA
# title: Base image information found
# description: The SBOM or the input names the image's base images.
# custom:
#   short_name: base_image_info_found
#   failure_msg: The base images of the image are not known
#   solution: Generate the SBOM with the build's base images, marked with the property konflux:container:is_base_image.
#   collections: [konflux]
deny contains result if {
	count(_base_images) == 0
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: Base image permitted
# description: Every base image reference starts with a prefix listed in allowed_registry_prefixes.
# custom:
#   short_name: base_image_permitted
#   failure_msg: Base image %q is not from an allowed registry
#   solution: Build from a base image in an allowed registry, or add the registry to allowed_registry_prefixes.
#   collections: [konflux]
#   depends_on: [release.base_image_registries.base_image_info_found]
deny contains result if {
	some ref in _base_images
	not lib.has_prefix(ref, lib.rule_data("allowed_registry_prefixes"))
	result := lib.result_with_term(rego.metadata.chain(), [ref], ref)
}

_base_images := lib.base_images | {ref |
	ref := input.image.parent.ref
	is_string(ref)
}

# METADATA
# title: Rule data provided
# description: allowed_registry_prefixes is a non-empty list of strings.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data allowed_registry_prefixes has an unexpected format: %s"
#   solution: Correct allowed_registry_prefixes in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some msg in lib.schema_errors(lib.rule_data("allowed_registry_prefixes"), lib.non_empty_string_list_schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "allowed_registry_prefixes")
}
