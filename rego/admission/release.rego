# METADATA
# title: Release admission
# description: >-
#   Validation and defaulting of appstudio.redhat.com/v1alpha1 Release, as
#   release-service's release and author webhooks decide. Defaults are set on
#   create only; an update may not change the spec or the snapshot, releasePlan
#   and author labels (a Release stored without them stays updatable).
package admission.release

import rego.v1

import data.admission.lib

snapshot_label := lib.names.RELEASE_SERVICE_SNAPSHOT_LABEL

release_plan_label := lib.names.RELEASE_PLAN_LABEL

author_label := lib.names.AUTHOR_LABEL

automated_label := lib.names.AUTOMATED_LABEL

spec := lib.spec(lib.obj)

# METADATA
# title: Names fit a label value
# custom:
#   short_name: name_length
deny contains result if {
	lib.creating
	some field, value in {"release name": lib.name, "snapshot name": lib.str(spec, "snapshot"), "releasePlan name": lib.str(spec, "releasePlan")}
	count(value) > 63
	result := {
		"code": "release.name_length",
		"msg": sprintf("%s must be no more than 63 characters, got %d characters", [field, count(value)]),
	}
}

# METADATA
# title: Release spec is immutable
# custom:
#   short_name: spec_immutable
deny contains result if {
	lib.updating
	spec != lib.spec(lib.old)
	result := {"code": "release.spec_immutable", "msg": "release resources spec cannot be updated"}
}

# METADATA
# title: Release labels are immutable
# description: >-
#   The snapshot, releasePlan and author labels keep their stored value (absent
#   stays absent): an edit is refused, not reverted.
# custom:
#   short_name: labels_immutable
deny contains result if {
	lib.updating
	some key, what in {snapshot_label: "snapshot", release_plan_label: "releasePlan", author_label: "author"}
	lib.label(lib.obj, key) != lib.label(lib.old, key)
	result := {
		"code": "release.labels_immutable",
		"msg": sprintf("release %s label cannot be updated (%s)", [what, key]),
	}
}

wanted_labels[snapshot_label] := lib.str(spec, "snapshot")

wanted_labels[release_plan_label] := lib.str(spec, "releasePlan")

# A manual release records who made it.
wanted_labels[author_label] := lib.sanitize_label(user) if {
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
	lib.creating
	some op in lib.label_ops(wanted_labels)
}

# The ReleasePlan the Release names, when the webhook could read it.
release_plan := lib.lookup("releaseplan").object if lib.lookup("releaseplan").found == true

# The API server stores a ReleasePlan with its CRD default (7) filled in.
plan_grace_days := object.get(lib.spec(release_plan), "releaseGracePeriodDays", 7)

# METADATA
# title: gracePeriodDays from the ReleasePlan
# description: >-
#   A Release without spec.gracePeriodDays takes its ReleasePlan's
#   releaseGracePeriodDays; without a ReleasePlan it is left unset.
# custom:
#   short_name: grace_period
patch contains op if {
	lib.creating
	object.get(spec, "gracePeriodDays", 0) == 0
	plan_grace_days != 0
	op := {"op": "add", "path": "/spec/gracePeriodDays", "value": plan_grace_days}
}

mutate_deny contains result if {
	lib.creating
	object.get(spec, "gracePeriodDays", 0) == 0
	lib.str(spec, "releasePlan") != ""
	err := lib.lookup_error("releaseplan")
	result := {
		"code": "release.grace_period",
		"msg": sprintf("cannot read ReleasePlan %q for the Release's gracePeriodDays: %s", [lib.str(spec, "releasePlan"), err]),
	}
}
