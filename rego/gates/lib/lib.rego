# METADATA
# title: Gate helpers
# description: >-
#   Shared helpers of the controllers' gates: safe reads of Kubernetes objects
#   (absent or malformed fields read as empty, so no builtin can error on
#   them), the label and annotation names Konflux uses (data.kube.names, built
#   from kube/names.py by whoever loads the gates), and the push/pull-request
#   distinction integration-service draws.
package gates.lib

import rego.v1

# The names are handed in as data by the loader, never retyped here.
names := data.kube.names

obj(o) := o if is_object(o) else := {}

arr(a) := a if is_array(a) else := []

# A field of a mapping, null when `o` is not a mapping or lacks it (never undefined, so a
# helper called with it is still called).
get(o, key) := object.get(obj(o), key, null)

# One object.get per read (a path walk that yields the default on any non-object step):
# the gates run on every reconcile, so each read is kept to a builtin call or two.
spec(o) := obj(object.get(obj(o), "spec", {}))

labels(o) := obj(object.get(obj(o), ["metadata", "labels"], {}))

# A string field of a mapping, or "" when it is absent or not a string.
str(o, key) := v if {
	v := obj(o)[key]
	is_string(v)
} else := ""

# A string at a path of an object, or "" (absent, or not a string).
str_at(o, path) := v if {
	v := object.get(obj(o), path, "")
	is_string(v)
} else := ""

name(o) := str_at(o, ["metadata", "name"])

namespace(o) := str_at(o, ["metadata", "namespace"])

label(o, key) := str_at(o, ["metadata", "labels", key])

annotation(o, key) := str_at(o, ["metadata", "annotations", key])

# The Application or ComponentGroup an object belongs to, as [kind, name].
group(o) := ["application", a] if {
	a := str_at(o, ["spec", "application"])
	a != ""
} else := ["componentGroup", str_at(o, ["spec", "componentGroup"])]

# The Application or ComponentGroup name alone (release-service's GetGroupName).
group_name(o) := group(o)[1]

# integration-service's IsSnapshotCreatedByPACPushEvent: not a push are merge-queue
# builds, group Snapshots, and what has a non-push event type and names a pull request.
is_push(o) if {
	not merge_queue(o)
	label(o, names.SNAPSHOT_TYPE_LABEL) != names.SNAPSHOT_TYPE_GROUP
	push_event(o)
}

# The keys integration-service copies PaC's labels and annotations to (worked out once).
source_branch_key := concat("", [names.PAC_COPY_PREFIX, "source-branch"])

event_type_key := concat("", [names.PAC_COPY_PREFIX, "event-type"])

pull_request_key := concat("", [names.PAC_COPY_PREFIX, "pull-request"])

merge_queue(o) if {
	branch := annotation(o, source_branch_key)
	startswith(trim_prefix(branch, "refs/heads/"), names.MERGE_QUEUE_BRANCH_PREFIX)
}

push_event(o) if not labels(o)[event_type_key]

push_event(o) if label(o, event_type_key) in names.PAC_PUSH_EVENTS

push_event(o) if not labels(o)[pull_request_key]
