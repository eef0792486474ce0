# METADATA
# title: ReleasePlanAdmission admission
# description: >-
#   Validation and defaulting of appstudio.redhat.com/v1alpha1
#   ReleasePlanAdmission, after release-service's webhook.
package admission.releaseplanadmission

import rego.v1

import data.admission.lib

block_releases_label := "release.appstudio.openshift.io/block-releases"

spec := lib.spec(lib.obj)

names(key) := [n | some n in spec[key]] if is_array(spec[key]) else := []

# METADATA
# title: Applications or componentGroups
# custom:
#   short_name: targets
deny contains result if {
	count(names("applications")) + count(names("componentGroups")) == 0
	result := {
		"code": "releaseplanadmission.targets",
		"msg": "spec.applications or spec.componentGroups must list at least one name",
	}
}

# METADATA
# title: Names fit a label value
# custom:
#   short_name: name_length
deny contains result if {
	some key in ["applications", "componentGroups"]
	some n in names(key)
	not short_string(n)
	result := {
		"code": "releaseplanadmission.name_length",
		"msg": sprintf("spec.%s entry %v must be a name of no more than 63 characters", [key, n]),
	}
}

short_string(n) if {
	is_string(n)
	n != ""
	count(n) <= 63
}

# METADATA
# title: Origin and policy
# custom:
#   short_name: required_fields
deny contains result if {
	some key in ["origin", "policy"]
	lib.str(spec, key) == ""
	result := {"code": "releaseplanadmission.required_fields", "msg": sprintf("spec.%s is required", [key])}
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
		"msg": sprintf("label %s can only be \"true\" or \"false\", got %v", [block_releases_label, value]),
	}
}

# METADATA
# title: block-releases defaults to false
# custom:
#   short_name: block_releases_default
patch contains op if {
	not block_releases_label in object.keys(lib.labels(lib.obj))
	some op in lib.label_ops({block_releases_label: "false"})
}
