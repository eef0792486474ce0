# METADATA
# title: ReleasePlanAdmission admission
# description: >-
#   Validation and defaulting of appstudio.redhat.com/v1alpha1
#   ReleasePlanAdmission, as release-service's webhook decides: application and
#   componentGroup names fit a label value, the block-releases label is true or
#   false, and defaults to false on create.
package admission.releaseplanadmission

import rego.v1

import data.admission.lib

block_releases_label := lib.names.BLOCK_RELEASES_LABEL

spec := lib.spec(lib.obj)

names(key) := [n | some n in spec[key]] if is_array(spec[key]) else := []

# METADATA
# title: Applications or componentGroups
# description: >-
#   The CRD's CEL rule (has(self.applications) != has(self.componentGroups)),
#   also decided here so that a bundle without the CRD still refuses it.
# custom:
#   short_name: targets
deny contains result if {
	count([k | some k in ["applications", "componentGroups"]; k in object.keys(spec)]) != 1
	result := {
		"code": "releaseplanadmission.targets",
		"msg": "spec: Invalid value: \"object\": exactly one of applications or componentGroups must be specified",
	}
}

# METADATA
# title: Names fit a label value
# custom:
#   short_name: name_length
deny contains result if {
	some key, what in {"applications": "application", "componentGroups": "componentGroup"}
	some n in names(key)
	is_string(n)
	count(n) > 63
	result := {
		"code": "releaseplanadmission.name_length",
		"msg": sprintf("%s name '%s' must be no more than 63 characters, got %d characters", [what, n, count(n)]),
	}
}

# METADATA
# title: block-releases is true or false
# custom:
#   short_name: block_releases
deny contains result if {
	value := lib.labels(lib.obj)[block_releases_label]
	not value in {"true", "false"}
	result := {
		"code": "releaseplanadmission.block_releases",
		"msg": sprintf("'%s' label can only be set to true or false, got %v", [block_releases_label, value]),
	}
}

# METADATA
# title: block-releases defaults to false
# custom:
#   short_name: block_releases_default
patch contains op if {
	lib.creating
	not block_releases_label in object.keys(lib.labels(lib.obj))
	some op in lib.label_ops({block_releases_label: "false"})
}
