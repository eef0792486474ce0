# METADATA
# title: Component admission
# description: >-
#   Validation and defaulting of appstudio.redhat.com/v1alpha1 Component: name,
#   source URL, immutable git URL, the owning Application (looked up through the
#   Kubernetes API) and build-nudges-ref cycles among the namespace's Components.
package admission.component

import rego.v1

import data.admission.lib

spec := lib.spec(lib.obj)

old_spec := lib.spec(lib.old)

# The source URL: spec.source.git.url, else spec.source.url.
source_url(s) := u if {
	u := s.source.git.url
	is_string(u)
	u != ""
} else := u if {
	u := s.source.url
	is_string(u)
	u != ""
} else := ""

application := lib.str(spec, "application")

nudges(s) := {n | some n in s["build-nudges-ref"]; is_string(n)} if {
	is_array(s["build-nudges-ref"])
} else := set()

# METADATA
# title: Component name is a DNS-1035 label
# custom:
#   short_name: name_dns1035
deny contains result if {
	lib.creating
	not lib.dns1035(lib.name)
	result := {
		"code": "component.name_dns1035",
		"msg": sprintf(
			"Component name %q must be a DNS-1035 label: lower case letters, digits and '-', starting with a letter, ending with a letter or digit, at most 63 characters",
			[lib.name],
		),
	}
}

# METADATA
# title: Component has a source URL
# custom:
#   short_name: source_required
deny contains result if {
	lib.creating
	source_url(spec) == ""
	result := {
		"code": "component.source_required",
		"msg": "Component needs a source: spec.source.git.url or spec.source.url",
	}
}

# METADATA
# title: Component source URL is an absolute http(s) URL
# custom:
#   short_name: source_url
deny contains result if {
	url := source_url(spec)
	url != ""
	not lib.http_url(url)
	result := {
		"code": "component.source_url",
		"msg": sprintf("Component source URL %q must be an absolute http:// or https:// URL", [url]),
	}
}

# METADATA
# title: Component git URL is immutable
# custom:
#   short_name: git_url_immutable
deny contains result if {
	lib.updating
	before := source_url(old_spec)
	before != ""
	source_url(spec) != before
	result := {
		"code": "component.git_url_immutable",
		"msg": sprintf("Component git URL cannot be changed (was %q, now %q)", [before, source_url(spec)]),
	}
}

# The application is checked on create and whenever it changes (an update that leaves it alone,
# such as removing a finalizer after the Application was deleted, must still pass).
application_checked if lib.creating

application_checked if {
	lib.updating
	application != lib.str(old_spec, "application")
}

# METADATA
# title: Component names its Application
# custom:
#   short_name: application_required
deny contains result if {
	application_checked
	application == ""
	result := {"code": "component.application_required", "msg": "Component spec.application is required"}
}

# METADATA
# title: Component's Application exists
# custom:
#   short_name: application_exists
deny contains result if {
	application_checked
	application != ""
	err := lib.lookup_error("application")
	result := {
		"code": "component.application_exists",
		"msg": sprintf("cannot verify that Application %q exists: %s", [application, err]),
	}
}

deny contains result if {
	application_checked
	application != ""
	lib.lookup("application").found == false
	result := {
		"code": "component.application_exists",
		"msg": sprintf("Application %q does not exist in namespace %q", [application, input.namespace]),
	}
}

# The namespace's nudge graph with this Component's new build-nudges-ref in place of its old one.
nudge_graph[n] := nudges(lib.spec(c)) if {
	some c in lib.lookup("components").items
	n := c.metadata.name
	is_string(n)
	n != lib.name
}

nudge_graph[lib.name] := nudges(spec)

nudges_changed if lib.creating

nudges_changed if {
	lib.updating
	nudges(spec) != nudges(old_spec)
}

# METADATA
# title: build-nudges-ref forms no cycle
# custom:
#   short_name: nudges_acyclic
deny contains result if {
	nudges_changed
	count(nudges(spec)) > 0
	err := lib.lookup_error("components")
	result := {
		"code": "component.nudges_acyclic",
		"msg": sprintf("cannot verify that build-nudges-ref forms no cycle: %s", [err]),
	}
}

deny contains result if {
	nudges_changed
	count(nudges(spec)) > 0
	not lib.lookup_error("components")
	lib.name in graph.reachable(nudge_graph, nudges(spec))
	result := {
		"code": "component.nudges_acyclic",
		"msg": sprintf(
			"build-nudges-ref of Component %q forms a cycle: %q nudge back to it",
			[lib.name, sort(nudges(spec))],
		),
	}
}

# METADATA
# title: Component is owned by its Application
# description: Adds an ownerReference to the Application when it exists.
# custom:
#   short_name: owner_reference
patch contains op if {
	application != ""
	lib.lookup("application").found == true
	some op in lib.owner_ops(lib.lookup("application").object)
}
