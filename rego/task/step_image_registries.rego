# METADATA
# title: Task step images
# description: The step images of a Tekton Task come from allowed registries.
package task.step_image_registries

import rego.v1

import data.konflux.lib

# METADATA
# title: Step images permitted
# description: Every step's image starts with a prefix listed in allowed_step_image_registry_prefixes.
# custom:
#   short_name: step_images_permitted
#   failure_msg: Step %d of the task uses image %q, which is not from an allowed registry
#   solution: Use step images from an allowed registry, or extend allowed_step_image_registry_prefixes.
#   collections: [konflux]
deny contains result if {
	some i, step in object.get(input, ["spec", "steps"], [])
	image := object.get(step, "image", "")
	not lib.has_prefix(image, lib.rule_data("allowed_step_image_registry_prefixes"))
	result := lib.result_with_term(rego.metadata.chain(), [i, image], image)
}

# METADATA
# title: Rule data provided
# description: allowed_step_image_registry_prefixes is a non-empty list of strings.
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data allowed_step_image_registry_prefixes has an unexpected format: %s"
#   solution: Correct allowed_step_image_registry_prefixes in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some msg in lib.schema_errors(lib.rule_data("allowed_step_image_registry_prefixes"), lib.non_empty_string_list_schema)
	result := lib.result_with_term(rego.metadata.chain(), [msg], "allowed_step_image_registry_prefixes")
}
