# METADATA
# title: Release admission
# description: >-
#   Validation and defaulting of appstudio.redhat.com/v1alpha1 Release, after
#   release-service's release and author webhooks.
package admission.release

import rego.v1

import data.admission.lib

snapshot_label := "release.appstudio.openshift.io/snapshot"

release_plan_label := "release.appstudio.openshift.io/releasePlan"

author_label := "release.appstudio.openshift.io/author"

automated_label := "release.appstudio.openshift.io/automated"

spec := lib.spec(lib.obj)

# METADATA
# title: Names fit a label value
# custom:
#   short_name: name_length
deny contains result if {
	lib.creating
	some field, value in {"name": lib.name, "snapshot": lib.str(spec, "snapshot"), "releasePlan": lib.str(spec, "releasePlan")}
	count(value) > 63
	result := {
		"code": "release.name_length",
		"msg": sprintf("Release %s must be no more than 63 characters, got %d", [field, count(value)]),
	}
}

deny contains result if {
	lib.creating
	some field in ["snapshot", "releasePlan"]
	lib.str(spec, field) == ""
	result := {"code": "release.name_length", "msg": sprintf("Release spec.%s is required", [field])}
}

# METADATA
# title: Release spec is immutable
# custom:
#   short_name: spec_immutable
deny contains result if {
	lib.updating
	spec != lib.spec(lib.old)
	result := {"code": "release.spec_immutable", "msg": "Release spec cannot be changed"}
}

# METADATA
# title: Release labels are immutable
# custom:
#   short_name: labels_immutable
deny contains result if {
	lib.updating
	some key in [snapshot_label, release_plan_label, author_label]
	lib.label(lib.obj, key) != lib.label(lib.old, key)
	result := {"code": "release.labels_immutable", "msg": sprintf("Release label %s cannot be changed", [key])}
}

wanted_labels[snapshot_label] := lib.str(spec, "snapshot") if lib.str(spec, "snapshot") != ""

wanted_labels[release_plan_label] := lib.str(spec, "releasePlan") if lib.str(spec, "releasePlan") != ""

# A manual release records who made it.
wanted_labels[author_label] := lib.sanitize_label(user) if {
	lib.creating
	lib.label(lib.obj, automated_label) != "true"
	user := input.userInfo.username
	is_string(user)
	lib.sanitize_label(user) != ""
}

# METADATA
# title: Release labels
# custom:
#   short_name: labels
patch contains op if {
	some op in lib.label_ops(wanted_labels)
}
