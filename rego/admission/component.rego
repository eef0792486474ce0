# METADATA
# title: Component admission
# description: >-
#   Validation and defaulting of appstudio.redhat.com/v1alpha1 Component, as
#   application-service's webhook decides: name and source on create, an
#   immutable git URL, build-nudges-ref without cycles among the namespace's
#   Components, and the ownerReference to the Application once it exists. The
#   Application is optional and may come later (GitOps applies in any order).
package admission.component

import rego.v1

import data.admission.lib

spec := lib.spec(lib.obj)

old_spec := lib.spec(lib.old)

git_source(s) := g if {
	g := s.source.git
	is_object(g)
}

# The source URL application-service checks: spec.source.git.url, else spec.source.url.
source_url(s) := u if {
	u := git_source(s).url
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
			"invalid component name: %q: a component resource name must start with a lower case alphabetical character, be under 63 characters, and can only consist of lower case alphanumeric characters or '-'",
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
		"msg": "a git source or an image source must be specified when creating a component (spec.source.git.url or spec.source.url)",
	}
}

# METADATA
# title: Component source URL is an absolute URI
# description: >-
#   The URL must parse as Go's url.ParseRequestURI parses it: an absolute URI
#   (any scheme) or an absolute path.
# custom:
#   short_name: source_url
deny contains result if {
	lib.creating
	url := source_url(spec)
	url != ""
	err := lib.request_uri_error(url)
	result := {
		"code": "component.source_url",
		"msg": sprintf("%s: gitsource URL must be an absolute URL starting with an 'https/http' scheme (got %q)", [err, url]),
	}
}

# METADATA
# title: Component git URL is immutable
# custom:
#   short_name: git_url_immutable
deny contains result if {
	lib.updating
	new := git_source(spec)
	before := git_source(old_spec)
	object.get(new, "url", "") != object.get(before, "url", "")
	result := {
		"code": "component.git_url_immutable",
		"msg": sprintf("git source cannot be updated to %v (spec.source.git.url was %q)", [new, object.get(before, "url", "")]),
	}
}

deny contains result if {
	lib.updating
	new := lib.str(object.get(spec, "source", {}), "url")
	before := lib.str(object.get(old_spec, "source", {}), "url")
	new != ""
	before != ""
	new != before
	result := {
		"code": "component.git_url_immutable",
		"msg": sprintf("git source cannot be updated to %s (spec.source.url was %q)", [new, before]),
	}
}

# METADATA
# title: The Application does not exist yet
# description: >-
#   A warning, never a denial: GitOps tools apply objects in any order, and the
#   ownerReference is added by a later write once the Application exists.
# custom:
#   short_name: application_missing
warn contains result if {
	application != ""
	lib.lookup("application").found == false
	result := {
		"code": "component.application_missing",
		"msg": sprintf(
			"Application %q does not exist in namespace %q yet: the Component gets its ownerReference once it does",
			[application, input.namespace],
		),
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

# METADATA
# title: build-nudges-ref forms no cycle
# custom:
#   short_name: nudges_acyclic
deny contains result if {
	count(nudges(spec)) > 0
	err := lib.lookup_error("components")
	result := {
		"code": "component.nudges_acyclic",
		"msg": sprintf("cannot verify that build-nudges-ref forms no cycle: %s", [err]),
	}
}

deny contains result if {
	count(nudges(spec)) > 0
	not lib.lookup_error("components")
	lib.name in graph.reachable(nudge_graph, nudges(spec))
	result := {
		"code": "component.nudges_acyclic",
		"msg": sprintf(
			"cycle detected: component %s cannot reference itself, directly or indirectly, via build-nudges-ref (%q)",
			[lib.name, sort(nudges(spec))],
		),
	}
}

# METADATA
# title: Component is owned by its Application
# description: >-
#   Adds the ownerReference to the Application when it exists, the Component has
#   no ownerReference yet, and neither is tracked by ArgoCD.
# custom:
#   short_name: owner_reference
patch contains op if {
	application != ""
	found := lib.lookup("application")
	found.found == true
	not lib.argocd_managed(lib.obj)
	not lib.argocd_managed(found.object)
	some op in lib.owner_ops(found.object)
}
