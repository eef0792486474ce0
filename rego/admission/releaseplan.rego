# METADATA
# title: ReleasePlan admission
# description: >-
#   Validation and defaulting of appstudio.redhat.com/v1alpha1 ReleasePlan, after
#   release-service's releaseplan and author webhooks.
package admission.releaseplan

import rego.v1

import data.admission.lib

auto_release_label := "release.appstudio.openshift.io/auto-release"

attribution_label := "release.appstudio.openshift.io/standing-attribution"

author_label := "release.appstudio.openshift.io/author"

spec := lib.spec(lib.obj)

# METADATA
# title: Exactly one of application or componentGroup
# custom:
#   short_name: one_target
deny contains result if {
	count([k | some k in ["application", "componentGroup"]; lib.str(spec, k) != ""]) != 1
	result := {
		"code": "releaseplan.one_target",
		"msg": "exactly one of spec.application or spec.componentGroup must be set",
	}
}

# Labels the defaults add: auto-release on an object without labels; the author when standing
# attribution is on and no author is recorded yet.
wanted_labels[auto_release_label] := "true" if {
	count(lib.labels(lib.obj)) == 0
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
