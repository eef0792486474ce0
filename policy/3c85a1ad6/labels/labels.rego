# METADATA
# title: Image labels
# description: Checks the labels an image must carry to be released.
package labels

import rego.v1

import data.lib

# METADATA
# title: Required labels
# description: The image carries every label listed in the required_labels rule data.
# custom:
#   short_name: required_labels
#   failure_msg: The required label %q is missing
#   solution: Add the label to the Containerfile with a LABEL instruction.
#   collections:
#   - minimal
#   - konflux
deny contains result if {
	some name in lib.rule_data("required_labels")
	not input.config.Labels[name]
	result := lib.result_helper_with_term(rego.metadata.chain(), [name], name)
}

# METADATA
# title: Deprecated labels
# description: The image carries none of the labels listed in deprecated_labels.
# custom:
#   short_name: deprecated_labels
#   failure_msg: The label %q is deprecated
#   collections:
#   - konflux
warn contains result if {
	some name in lib.rule_data("deprecated_labels")
	input.config.Labels[name]
	result := lib.result_helper_with_term(rego.metadata.chain(), [name], name)
}

# METADATA
# title: Maintainer email
# description: The maintainer label is an email address.
# custom:
#   short_name: maintainer_email
#   failure_msg: The maintainer label %q is not an email address
#   effective_on: 2099-01-01T00:00:00Z
#   collections:
#   - konflux
deny contains result if {
	maintainer := input.config.Labels.maintainer
	not regex.match(`^[^@\s]+@[^@\s]+$`, maintainer)
	result := lib.result_helper(rego.metadata.chain(), [maintainer])
}
