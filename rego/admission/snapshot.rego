# METADATA
# title: Snapshot admission
# description: >-
#   Validation and defaulting of appstudio.redhat.com/v1alpha1 Snapshot: name
#   length, immutable components, the application label.
package admission.snapshot

import rego.v1

import data.admission.lib

application_label := "appstudio.openshift.io/application"

# METADATA
# title: Snapshot name fits a label value
# custom:
#   short_name: name_length
deny contains result if {
	lib.creating
	count(lib.name) > 63
	result := {
		"code": "snapshot.name_length",
		"msg": sprintf("Snapshot name must be no more than 63 characters, got %d", [count(lib.name)]),
	}
}

deny contains result if {
	lib.creating
	lib.name == ""
	result := {"code": "snapshot.name_length", "msg": "Snapshot metadata.name is required"}
}

# METADATA
# title: Snapshot components are immutable
# custom:
#   short_name: components_immutable
deny contains result if {
	lib.updating
	object.get(lib.spec(lib.obj), "components", null) != object.get(lib.spec(lib.old), "components", null)
	result := {"code": "snapshot.components_immutable", "msg": "Snapshot spec.components cannot be changed"}
}

# METADATA
# title: Snapshot carries its application label
# custom:
#   short_name: application_label
patch contains op if {
	application := lib.str(lib.spec(lib.obj), "application")
	application != ""
	some op in lib.label_ops({application_label: application})
}
