# METADATA
# title: Image labels
# description: >-
#   The image's labels (its OCI config) carry what a release needs: required
#   labels are set, deprecated ones are gone, and labels that describe the
#   image were not merely inherited from the base image.
package release.labels

import rego.v1

import data.konflux.lib

# METADATA
# title: Required labels
# description: The image has every label listed in required_labels.
# custom:
#   short_name: required_labels
#   failure_msg: "The required label %q is missing (%s)"
#   solution: Add the label with a LABEL instruction in the Containerfile.
#   collections: [minimal, konflux]
deny contains result if {
	some label in lib.rule_data("required_labels")
	not _labels[label.name]
	result := lib.result_with_term(rego.metadata.chain(), [label.name, object.get(label, "description", "")], label.name)
}

# METADATA
# title: Optional labels
# description: The image has the labels listed in optional_labels; a missing one is a warning.
# custom:
#   short_name: optional_labels
#   failure_msg: "The optional label %q is missing (%s)"
#   solution: Add the label with a LABEL instruction in the Containerfile.
#   collections: [konflux]
warn contains result if {
	some label in lib.rule_data("optional_labels")
	not _labels[label.name]
	result := lib.result_with_term(rego.metadata.chain(), [label.name, object.get(label, "description", "")], label.name)
}

# METADATA
# title: Deprecated labels
# description: The image has none of the labels listed in deprecated_labels.
# custom:
#   short_name: deprecated_labels
#   failure_msg: The label %q is deprecated, use %q instead
#   solution: Replace the deprecated label with its replacement.
#   collections: [konflux]
deny contains result if {
	some label in lib.rule_data("deprecated_labels")
	_labels[label.name]
	result := lib.result_with_term(rego.metadata.chain(), [label.name, object.get(label, "replacement", "")], label.name)
}

# METADATA
# title: Disallowed inherited labels
# description: >-
#   Labels listed in disallowed_inherited_labels are set by the image itself,
#   not inherited with the same value from the base (parent) image.
# custom:
#   short_name: disallowed_inherited_labels
#   failure_msg: The label %q is inherited from the base image; set it for this image
#   solution: Set the label in the image's Containerfile.
#   collections: [konflux]
deny contains result if {
	parent := _parent_labels
	some label in lib.rule_data("disallowed_inherited_labels")
	value := _labels[label.name]
	parent[label.name] == value
	result := lib.result_with_term(rego.metadata.chain(), [label.name], label.name)
}

# Labels of an OCI config, whether the input holds the config document or
# only its `config` section.
_labels := _config_labels(object.get(input, ["image", "config"], {}))

_parent_labels := _config_labels(input.image.parent.config)

_config_labels(config) := config.Labels if is_object(config.Labels)
else := config.config.Labels if is_object(config.config.Labels)
else := {}

_named_schema(extra) := {
	"type": "array",
	"items": {
		"type": "object",
		"required": ["name"],
		"properties": object.union({"name": {"type": "string", "minLength": 1}}, extra),
	},
}

# METADATA
# title: Rule data provided
# description: The label lists are lists of objects with a name (and a description or replacement).
# custom:
#   short_name: rule_data_provided
#   failure_msg: "Rule data %s has an unexpected format: %s"
#   solution: Correct the rule data in the policy's ruleData or the data bundle.
#   collections: [policy_data, konflux]
deny contains result if {
	some key, schema in {
		"required_labels": _named_schema({"description": {"type": "string"}}),
		"optional_labels": _named_schema({"description": {"type": "string"}}),
		"deprecated_labels": _named_schema({"replacement": {"type": "string"}}),
		"disallowed_inherited_labels": _named_schema({}),
	}
	some msg in lib.schema_errors(lib.rule_data(key), schema)
	result := lib.result_with_term(rego.metadata.chain(), [key, msg], key)
}
