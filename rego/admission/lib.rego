# METADATA
# title: Admission helpers
# description: >-
#   Shared helpers of the admission rules: the object under review, its labels,
#   name checks, JSON Patch operations for labels and owner references, and the
#   label value sanitiser Konflux uses for user names.
package admission.lib

import rego.v1

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

# An absolute http(s) URL with a host and no whitespace.
http_url(s) if {
	is_string(s)
	regex.match(`^https?://[^\s/?#@]+(@[^\s/?#]+)?([/?#][^\s]*)?$`, s)
}

https_url(s) if {
	http_url(s)
	startswith(s, "https://")
}

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

# JSON Patch operations adding an ownerReference to `owner` (a Kubernetes object) unless the
# object already has one with the owner's uid.
owner_ops(owner) := set() if {
	some ref in owner_references
	ref.uid == owner.metadata.uid
} else := {{"op": "add", "path": "/metadata/ownerReferences/-", "value": owner_reference(owner)}} if {
	is_array(metadata(obj).ownerReferences)
} else := {{"op": "add", "path": "/metadata/ownerReferences", "value": [owner_reference(owner)]}}

owner_references := refs if {
	refs := metadata(obj).ownerReferences
	is_array(refs)
} else := []

owner_reference(owner) := {
	"apiVersion": owner.apiVersion,
	"kind": owner.kind,
	"name": owner.metadata.name,
	"uid": owner.metadata.uid,
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
