# METADATA
# title: Snapshot admission
# description: >-
#   Validation and defaulting of appstudio.redhat.com/v1alpha1 Snapshot, as
#   integration-service's webhook decides: name length on create, immutable
#   components, and on create the application (or component-group) label.
package admission.snapshot

import rego.v1

import data.admission.lib

application_label := lib.names.APPLICATION_LABEL

component_group_label := lib.names.COMPONENT_GROUP_LABEL

spec := lib.spec(lib.obj)

# METADATA
# title: Snapshot name fits a label value
# description: >-
#   A name given by the user is at most 63 characters (it becomes a label value);
#   a name still to be generated (generateName) is not checked here.
# custom:
#   short_name: name_length
deny contains result if {
	lib.creating
	count(lib.name) > 63
	result := {
		"code": "snapshot.name_length",
		"msg": sprintf(
			"metadata.name: Invalid value: %q: name is too long (%d characters); must be at most 63 characters",
			[lib.name, count(lib.name)],
		),
	}
}

# METADATA
# title: Snapshot components are immutable
# custom:
#   short_name: components_immutable
deny contains result if {
	lib.updating
	object.get(spec, "components", null) != object.get(lib.spec(lib.old), "components", null)
	result := {
		"code": "snapshot.components_immutable",
		"msg": "spec.components: Invalid value: components field is immutable and cannot be modified after creation",
	}
}

# The label the defaulting webhook sets: the application, else the component group.
wanted_labels[application_label] := lib.str(spec, "application") if lib.str(spec, "application") != ""

wanted_labels[component_group_label] := lib.str(spec, "componentGroup") if lib.str(spec, "application") == ""

# METADATA
# title: Snapshot carries its application or component-group label
# custom:
#   short_name: group_label
patch contains op if {
	lib.creating
	some op in lib.label_ops(wanted_labels)
}
