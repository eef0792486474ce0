# METADATA
# title: IntegrationTestScenario admission
# description: >-
#   Validation and defaulting of appstudio.redhat.com/v1beta2
#   IntegrationTestScenario, after integration-service's webhook.
package admission.integrationtestscenario

import rego.v1

import data.admission.lib

spec := lib.spec(lib.obj)

application := lib.str(spec, "application")

component_group := lib.str(spec, "componentGroup")

# METADATA
# title: Exactly one owner
# custom:
#   short_name: one_owner
deny contains result if {
	application != ""
	component_group != ""
	result := {
		"code": "integrationtestscenario.one_owner",
		"msg": sprintf(
			"exactly one of spec.application or spec.componentGroup must be set, not both (application=%q, componentGroup=%q)",
			[application, component_group],
		),
	}
}

deny contains result if {
	application == ""
	component_group == ""
	result := {
		"code": "integrationtestscenario.one_owner",
		"msg": "exactly one of spec.application or spec.componentGroup must be set",
	}
}

# METADATA
# title: Name is a DNS-1035 label
# custom:
#   short_name: name_dns1035
deny contains result if {
	lib.creating
	not lib.dns1035(lib.name)
	result := {
		"code": "integrationtestscenario.name_dns1035",
		"msg": sprintf(
			"IntegrationTestScenario name %q must start with a lower case letter, be at most 63 characters, and consist of lower case letters, digits or '-'",
			[lib.name],
		),
	}
}

# METADATA
# title: No SNAPSHOT parameter
# custom:
#   short_name: no_snapshot_param
deny contains result if {
	some param in object.get(spec, "params", [])
	param.name == "SNAPSHOT"
	result := {
		"code": "integrationtestscenario.no_snapshot_param",
		"msg": "spec.params must not define SNAPSHOT: integration-service sets it for every test run",
	}
}

resolver_ref := r if {
	r := spec.resolverRef
	is_object(r)
} else := {}

git_params[name] := value if {
	resolver_ref.resolver == "git"
	some param in object.get(resolver_ref, "params", [])
	name := param.name
	is_string(name)
	value := param.value
	is_string(value)
	value != ""
}

# METADATA
# title: Git resolver names its repository once
# custom:
#   short_name: git_resolver_location
deny contains result if {
	git_params.url
	some key in ["repo", "org"]
	git_params[key]
	result := {
		"code": "integrationtestscenario.git_resolver_location",
		"msg": "the git resolver takes either url or repo with org, not both",
	}
}

deny contains result if {
	resolver_ref.resolver == "git"
	not git_params.url
	some key in ["repo", "org"]
	not git_params[key]
	result := {
		"code": "integrationtestscenario.git_resolver_location",
		"msg": sprintf("the git resolver needs url, or repo and org: %s is missing", [key]),
	}
}

# METADATA
# title: Git resolver URLs are https
# custom:
#   short_name: git_resolver_https
deny contains result if {
	some key in ["url", "serverURL"]
	value := git_params[key]
	not lib.https_url(value)
	result := {
		"code": "integrationtestscenario.git_resolver_https",
		"msg": sprintf("git resolver param %s must be an https:// URL, got %q", [key, value]),
	}
}

# METADATA
# title: Scenario is owned by its Application
# custom:
#   short_name: owner_reference
patch contains op if {
	application != ""
	lib.lookup("application").found == true
	some op in lib.owner_ops(lib.lookup("application").object)
}

# The owner reference cannot be added when the Application could not be looked up.
mutate_deny contains result if {
	application != ""
	err := lib.lookup_error("application")
	result := {
		"code": "integrationtestscenario.owner_reference",
		"msg": sprintf("cannot add the ownerReference to Application %q: %s", [application, err]),
	}
}
