# METADATA
# title: Application admission
# description: >-
#   Validation of appstudio.redhat.com/v1alpha1 Application: what
#   application-service's webhook checks on create.
package admission.application

import rego.v1

import data.admission.lib

# METADATA
# title: Application name is a DNS-1035 label
# custom:
#   short_name: name_dns1035
deny contains result if {
	lib.creating
	not lib.dns1035(lib.name)
	result := {
		"code": "application.name_dns1035",
		"msg": sprintf(
			"Application name %q must be a DNS-1035 label: lower case letters, digits and '-', starting with a letter, ending with a letter or digit, at most 63 characters",
			[lib.name],
		),
	}
}

# METADATA
# title: Application has a display name
# custom:
#   short_name: display_name
deny contains result if {
	lib.creating
	lib.str(lib.spec(lib.obj), "displayName") == ""
	result := {"code": "application.display_name", "msg": "Application spec.displayName is required"}
}
