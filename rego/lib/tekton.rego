package konflux.lib

import rego.v1

# One view of a Tekton task, whatever recorded it. tasks(statement) turns the
# tasks of a provenance (SLSA v0.2 `buildConfig.tasks`, or SLSA v1
# `resolvedDependencies` entries named pipelineTask whose base64 content is a
# TaskRun) into objects of one shape:
#
#   {"name": pipeline task name, "task": Task name, "ref": see task_ref,
#    "status": "Succeeded" | "Failed" | ..., "params": {name: value},
#    "results": {name: value}, "steps": [{"name", "image"}],
#    "labels": {...}, "annotations": {...}}
tasks(statement) := {_v02_entry(i, t) | some i, t in statement.predicate.buildConfig.tasks} if {
	statement.predicateType == slsa_v02
}

_v02_entry(i, t) := _v02_task(t) if is_object(t)
else := _unreadable_task(i)

tasks(statement) := {_v1_dependency_task(i, dep) |
	some i, dep in statement.predicate.buildDefinition.resolvedDependencies
	dep.name == "pipelineTask"
} if {
	statement.predicateType == slsa_v1
}

_v1_dependency_task(i, dep) := _v1_task(run) if {
	run := json.unmarshal(base64.decode(dep.content))
	is_object(run)
} else := _unreadable_task(i)

# A recorded task that cannot be read must not vanish (it could hide a failed
# task): it becomes a task with status "Unreadable" and no trusted reference.
_unreadable_task(i) := {
	"name": sprintf("<unreadable task #%d>", [i]),
	"task": "",
	"ref": {"kind": "unknown", "name": "", "key": "", "pin": "", "ref": ""},
	"status": "Unreadable",
	"params": {},
	"results": {},
	"steps": [],
	"labels": {},
	"annotations": {},
}

# all_tasks are the tasks of every PipelineRun provenance of the image.
all_tasks := {t |
	some s in pipelinerun_provenances
	some t in tasks(s)
}

_v02_task(t) := {
	"name": object.get(t, "name", ""),
	"task": ref.name,
	"ref": ref,
	"status": object.get(t, "status", ""),
	"params": _named_values(object.get(t, ["invocation", "parameters"], {})),
	"results": _named_values(object.get(t, "results", [])),
	"steps": [{"name": object.get(s, "name", ""), "image": _v02_step_image(s)} |
		some s in object.get(t, "steps", [])
	],
	"labels": object.get(t, ["invocation", "environment", "labels"], {}),
	"annotations": object.get(t, ["invocation", "environment", "annotations"], {}),
} if {
	ref := task_ref(object.get(t, "ref", {}), {})
}

_v02_step_image(step) := step.environment.image if is_string(step.environment.image)
else := object.get(step, "imageID", "")

_v1_task(run) := {
	"name": object.get(labels, "tekton.dev/pipelineTask", object.get(run, ["metadata", "name"], "")),
	"task": _v1_task_name(ref, labels),
	"ref": ref,
	"status": _v1_status(run),
	"params": _named_values(object.get(run, ["spec", "params"], [])),
	"results": _named_values(_v1_results(run)),
	"steps": [{"name": object.get(s, "name", ""), "image": object.get(s, "imageID", "")} |
		some s in object.get(run, ["status", "steps"], [])
	],
	"labels": labels,
	"annotations": object.get(run, ["metadata", "annotations"], {}),
} if {
	labels := object.get(run, ["metadata", "labels"], {})
	ref := task_ref(object.get(run, ["spec", "taskRef"], {}), object.get(run, ["status", "provenance", "refSource"], {}))
}

_v1_task_name(ref, labels) := ref.name if ref.name != ""
else := name if {
	name := object.get(labels, "tekton.dev/task", "")
}

_v1_status(run) := "Succeeded" if {
	some c in run.status.conditions
	c.type == "Succeeded"
	c.status == "True"
} else := reason if {
	some c in run.status.conditions
	c.type == "Succeeded"
	reason := object.get(c, "reason", "Failed")
} else := "Unknown"

_v1_results(run) := run.status.results if is_array(run.status.results)
else := object.get(run, ["status", "taskResults"], [])

# _named_values turns [{"name": n, "value": v}] into {n: v}; an object is
# taken as it is.
_named_values(items) := items if is_object(items)

_named_values(items) := {item.name: item.value |
	some item in items
	is_string(item.name)
	item.value != null
} if is_array(items)

# task_ref(ref, ref_source) describes where a task definition came from:
#   {"kind": "bundle"|"git"|"cluster"|"local", "name": task name,
#    "key": trusted-task key ("oci://repo:tag" or "git+URL//path"),
#    "pin": digest or commit ("" when not pinned), "ref": the bundle or URL}
# `ref` is a Tekton taskRef (old `bundle` field or a bundles/git resolver);
# ref_source is the TaskRun's status.provenance.refSource, when recorded.
task_ref(ref, _) := {
	"kind": "bundle",
	"name": object.get(ref, "name", ""),
	"key": _bundle_key(ref.bundle),
	"pin": image_digest(ref.bundle),
	"ref": ref.bundle,
} if is_string(ref.bundle)

task_ref(ref, _) := {
	"kind": "bundle",
	"name": object.get(params, "name", ""),
	"key": _bundle_key(bundle),
	"pin": image_digest(bundle),
	"ref": bundle,
} if {
	ref.resolver == "bundles"
	params := _named_values(object.get(ref, "params", []))
	bundle := object.get(params, "bundle", "")
}

task_ref(ref, source) := {
	"kind": "git",
	"name": _git_task_name(path),
	"key": sprintf("git+%s//%s", [trim_prefix(url, "git+"), path]),
	"pin": _git_pin(revision, source),
	"ref": url,
} if {
	ref.resolver == "git"
	params := _named_values(object.get(ref, "params", []))
	url := object.get(params, "url", "")
	path := object.get(params, "pathInRepo", "")
	revision := object.get(params, "revision", "")
}

task_ref(ref, _) := {
	"kind": _local_kind(ref),
	"name": object.get(ref, "name", ""),
	"key": "",
	"pin": "",
	"ref": "",
} if {
	not _remote_ref(ref)
}

_remote_ref(ref) if is_string(ref.bundle)

_remote_ref(ref) if ref.resolver in {"bundles", "git"}

_local_kind(ref) := "cluster" if lower(object.get(ref, "kind", "")) == "clustertask"
else := "other" if ref.resolver
else := "local"

_bundle_key(bundle) := sprintf("oci://%s:%s", [parts.repo, parts.tag]) if {
	parts := parse_image_ref(bundle)
	parts.tag != ""
} else := sprintf("oci://%s", [image_repo(bundle)])

# A git revision is a pin only when it is a full commit id; the commit Chains
# recorded wins over a branch name in the taskRef.
_git_pin(revision, source) := source.digest.sha1 if is_string(source.digest.sha1)
else := revision if regex.match(`^[a-f0-9]{40}$`, revision)
else := ""

_git_task_name(path) := name if {
	parts := split(path, "/")
	file := parts[count(parts) - 1]
	name := trim_suffix(trim_suffix(file, ".yaml"), ".yml")
}

# Helpers over the one task shape.
task_result(task, name) := task.results[name]

task_param(task, name) := task.params[name]

# build_tasks produce an image: they have IMAGE_URL and IMAGE_DIGEST results.
build_tasks := {t |
	some t in all_tasks
	_non_empty(t.results.IMAGE_URL)
	_non_empty(t.results.IMAGE_DIGEST)
}

# git_clone_tasks fetch sources: they have url and commit results.
git_clone_tasks := {t |
	some t in all_tasks
	_non_empty(t.results.url)
	_non_empty(t.results.commit)
}

_non_empty(value) if {
	is_string(value)
	trim_space(value) != ""
}

# Pipeline definitions (input = a Tekton Pipeline): the pipeline tasks,
# including `finally`, with their refs in the same shape.
pipeline_tasks(pipeline) := [{"name": object.get(t, "name", ""), "ref": task_ref(object.get(t, "taskRef", {}), {})} |
	some t in array.concat(object.get(pipeline, ["spec", "tasks"], []), object.get(pipeline, ["spec", "finally"], []))
]
