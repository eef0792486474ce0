# METADATA
# title: ReleasePlan admission
# description: >-
#   Validation and defaulting of appstudio.redhat.com/v1alpha1 ReleasePlan, as
#   release-service's releaseplan and author webhooks decide: the auto-release
#   label defaults to true on create (only for a plan created without labels),
#   and the author label follows standing attribution on create and update.
package admission.releaseplan

import rego.v1

import data.admission.lib

auto_release_label := lib.names.AUTO_RELEASE_LABEL

attribution_label := lib.names.STANDING_ATTRIBUTION_LABEL

author_label := lib.names.AUTHOR_LABEL

spec := lib.spec(lib.obj)

# METADATA
# title: Exactly one of application or componentGroup
# description: >-
#   The CRD's CEL rule (has(self.application) != has(self.componentGroup)),
#   also decided here so that a bundle without the CRD still refuses it.
# custom:
#   short_name: one_target
deny contains result if {
	count([k | some k in ["application", "componentGroup"]; k in object.keys(spec)]) != 1
	result := {
		"code": "releaseplan.one_target",
		"msg": "spec: Invalid value: \"object\": exactly one of application or componentGroup must be specified",
	}
}

# Labels the defaults add: auto-release on a plan created without labels; the author when
# standing attribution is on and no author is recorded yet.
wanted_labels[auto_release_label] := "true" if {
	lib.creating
	not lib.has_labels
}

wanted_labels[author_label] := lib.sanitize_label(user) if {
	lib.label(lib.obj, attribution_label) == "true"
	lib.label(lib.obj, author_label) == ""
	user := input.userInfo.username
	is_string(user)
	lib.sanitize_label(user) != ""
}

# METADATA
# title: Default labels
# custom:
#   short_name: default_labels
patch contains op if {
	some op in lib.label_ops(wanted_labels)
}

# The author label only stays while standing attribution is on.
patch contains op if {
	lib.label(lib.obj, attribution_label) != "true"
	author_label in object.keys(lib.labels(lib.obj))
	op := {"op": "remove", "path": concat("", ["/metadata/labels/", lib.pointer_segment(author_label)])}
}
