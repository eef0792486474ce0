# METADATA
# title: Admission helpers
# description: >-
#   Shared helpers of the admission rules: the object under review, its labels,
#   name checks, JSON Patch operations for labels and owner references, and the
#   label value sanitiser Konflux uses for user names.
package admission.lib

import rego.v1

# Label and annotation names, handed in as data (kube/names.py), never retyped here.
names := data.kube.names

# The object under review and its previous version (empty objects when absent or malformed).
obj := o if {
	o := input.object
	is_object(o)
} else := {}

old := o if {
	o := input.oldObject
	is_object(o)
} else := {}

creating if input.operation == "CREATE"

updating if input.operation == "UPDATE"

metadata(o) := m if {
	m := o.metadata
	is_object(m)
} else := {}

spec(o) := s if {
	s := o.spec
	is_object(s)
} else := {}

labels(o) := l if {
	l := metadata(o).labels
	is_object(l)
} else := {}

name := n if {
	n := metadata(obj).name
	is_string(n)
} else := ""

# A non-empty string field of a mapping, or "" when it is absent or not a string.
str(o, key) := v if {
	v := o[key]
	is_string(v)
} else := ""

label(o, key) := str(labels(o), key)

# DNS-1035 label: what Kubernetes requires of names that become DNS labels.
dns1035(s) if {
	is_string(s)
	count(s) <= 63
	regex.match(`^[a-z]([-a-z0-9]*[a-z0-9])?$`, s)
}

# DNS-1123 label: what Kubernetes requires of Secret names and label-like values.
dns1123_label(s) if {
	is_string(s)
	count(s) <= 63
	regex.match(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, s)
}

# Why Go's url.ParseRequestURI rejects `s` (the URL check upstream's webhooks use); undefined
# when it accepts it. Accepted are absolute URIs of any scheme (`https://h/p`, `ssh://git@h/p`,
# even opaque `mailto:x`) and absolute paths (`/p`); refused are relative references
# (`github.com/o/r`, `git@github.com:o/r`), a missing scheme (`:x`), control characters, bad
# percent escapes, invalid hosts, ports or user information.
request_uri_error(s) := "not a string" if {
	not is_string(s)
} else := "empty url" if {
	s == ""
} else := "net/url: invalid control character in URL" if {
	regex.match(`[\x00-\x1f\x7f]`, s)
} else := "missing protocol scheme" if {
	startswith(s, ":")
} else := "invalid URI for request" if {
	s != "*"
	not _uri_scheme(s)
	not startswith(s, "/")
} else := err if {
	s != "*"
	errs := _uri_rest_errors(_uri_rest(s), _uri_scheme(s) != "")
	count(errs) > 0
	err := sort(errs)[0]
}

# The scheme, as Go's getScheme reads it: a letter, then letters, digits, '+', '-' or '.', up to ':'.
_uri_scheme(s) := m[1] if {
	m := regex.find_all_string_submatch_n(`^([A-Za-z][A-Za-z0-9+.-]*):`, s, 1)[0]
} else := "" if startswith(s, "/")

# What follows the scheme, without the query.
_uri_rest(s) := rest if {
	scheme := _uri_scheme(s)
	after := substring(s, count(scheme) + min([count(scheme), 1]), -1)
	rest := split(after, "?")[0]
}

_uri_rest_errors(rest, with_scheme) := {err |
	with_scheme
	startswith(rest, "//")
	authority := split(substring(rest, 2, -1), "/")[0]
	some err in _authority_errors(authority)
} | {err |
	regex.match(`%([^0-9A-Fa-f]|.[^0-9A-Fa-f]|.?$)`, _uri_path(rest, with_scheme))
	err := "invalid URL escape in path"
}

# The path part: after the authority when there is one.
_uri_path(rest, true) := substring(rest, count(split(substring(rest, 2, -1), "/")[0]) + 2, -1) if {
	startswith(rest, "//")
} else := rest

_authority_errors(authority) := {err |
	contains(authority, "@")
	parts := split(authority, "@")
	userinfo := concat("@", array.slice(parts, 0, count(parts) - 1))
	not regex.match(`^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$`, userinfo)
	err := "net/url: invalid userinfo"
} | {err |
	some err in _host_errors(_host(authority))
}

_host(authority) := h if {
	parts := split(authority, "@")
	h := parts[count(parts) - 1]
}

_host_errors(host) := {sprintf("invalid port %q after host", [port]) |
	not startswith(host, "[")
	contains(host, ":")
	parts := split(host, ":")
	port := concat("", [":", parts[count(parts) - 1]])
	not regex.match(`^:[0-9]*$`, port)
} | {sprintf("invalid character in host name %q", [host]) |
	not startswith(host, "[")
	not regex.match(`^[A-Za-z0-9\-_.~!$&'()*+,;=:<>"%\x{80}-\x{10FFFF}]*$`, host)
} | {sprintf("invalid URL escape in host %q", [host]) |
	not startswith(host, "[")
	# a bad escape, or an escaped ASCII byte other than '%' itself
	regex.match(`%([^0-9A-Fa-f]|.[^0-9A-Fa-f]|.?$)|%([0-13-7][0-9A-Fa-f]|2[0-46-9A-Fa-f])`, host)
} | {sprintf("invalid IPv6 host %q", [host]) |
	startswith(host, "[")
	not regex.match(`^\[[0-9A-Fa-f:.]*(%25([A-Za-z0-9\-._~]|%[0-9A-Fa-f]{2})+)?\](:[0-9]*)?$`, host)
}

# Leading or trailing whitespace (what integration-service refuses in git resolver params).
padded(s) if regex.match(`^\s|\s$`, s)

has_labels if is_object(metadata(obj).labels)

# JSON Pointer escaping of one path segment (RFC 6901).
pointer_segment(key) := replace(replace(key, "~", "~0"), "/", "~1")

# JSON Patch operations that make the object's labels include `wanted` (key -> value):
# one operation adding the whole map when the object has no labels, else one per label
# whose value differs.
label_ops(wanted) := ops if {
	not has_labels
	count(wanted) > 0
	ops := {{"op": "add", "path": "/metadata/labels", "value": wanted}}
} else := {op |
	some key, value in wanted
	object.get(labels(obj), key, null) != value
	op := {"op": "add", "path": concat("", ["/metadata/labels/", pointer_segment(key)]), "value": value}
}

# JSON Patch operations adding an ownerReference to `owner` (a Kubernetes object), the only
# one: upstream sets the reference only while an object has none, and never on an object being
# deleted.
owner_ops(owner) := {{"op": "add", "path": "/metadata/ownerReferences", "value": [owner_reference(owner)]}} if {
	count(owner_references) == 0
	not metadata(obj).deletionTimestamp
}

owner_references := refs if {
	refs := metadata(obj).ownerReferences
	is_array(refs)
} else := []

# As integration-service writes it: neither a controller nor blocking the owner's deletion.
owner_reference(owner) := {
	"apiVersion": object.get(owner, "apiVersion", ""),
	"kind": object.get(owner, "kind", ""),
	"name": owner.metadata.name,
	"uid": owner.metadata.uid,
	"blockOwnerDeletion": false,
	"controller": false,
}

# ArgoCD tracks an object (label or annotation): application-service then leaves its
# ownerReferences alone, so ArgoCD does not see a diff to revert.
argocd_tracking_id := names.ARGOCD_TRACKING_ID

argocd_managed(o) if argocd_tracking_id in object.keys(labels(o))

argocd_managed(o) if {
	annotations := metadata(o).annotations
	is_object(annotations)
	argocd_tracking_id in object.keys(annotations)
}

# A user name as a label value, as release-service writes it: ':' -> '_', the first '@' -> '.',
# at most 63 characters, no trailing character other than a letter or digit.
sanitize_label(user) := trimmed if {
	colons := replace(user, ":", "_")
	at := indexof(colons, "@")
	dotted := at_to_dot(colons, at)
	cut := substring(dotted, 0, 63)
	trimmed := regex.replace(cut, `[^\pL\pN]+$`, "")
}

at_to_dot(s, at) := s if at < 0

at_to_dot(s, at) := concat("", [substring(s, 0, at), ".", substring(s, at + 1, -1)]) if at >= 0

# A lookup the rules asked Python to make, or an object saying it was not made.
lookup(key) := l if {
	l := input.lookups[key]
	is_object(l)
} else := {"error": sprintf("the webhook did not look up %s", [key])}

lookup_error(key) := e if {
	e := lookup(key).error
	is_string(e)
}
