# Test fixtures shared by the library's and the packages' tests: images,
# Tekton tasks and Chains-style SLSA v0.2 and v1 provenance.
package konflux.lib.fixtures

import rego.v1


digest := "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"

other_digest := "sha256:1111111111111111111111111111111111111111111111111111111111111111"

image_ref := sprintf("quay.io/org/app@%s", [digest])

commit := "6f1ea4dd5b3c1d1e5e1d3e0b1e0a7b7ad2c5b1f0"

repo_url := "https://github.com/org/app"

bundle_digest := "sha256:2222222222222222222222222222222222222222222222222222222222222222"

bundle(name) := sprintf("quay.io/konflux-ci/tekton-catalog/task-%s:0.1@%s", [name, bundle_digest])

# Results of the usual tasks of a build pipeline.
clone_results := {"url": repo_url, "commit": commit}

build_results := {"IMAGE_URL": "quay.io/org/app:latest", "IMAGE_DIGEST": digest}

# A SLSA v0.2 buildConfig task; params and results as Tekton lists.
v02_task(name, results) := {
	"name": name,
	"ref": {"name": name, "kind": "Task", "bundle": bundle(name)},
	"status": "Succeeded",
	"invocation": {"parameters": {}, "environment": {"labels": {}, "annotations": {}}},
	"results": [{"name": k, "type": "string", "value": v} | some k, v in results],
	"steps": [{"name": "run", "environment": {"image": "registry.access.redhat.com/ubi9@sha256:aa"}}],
}

# A TaskRun as Chains records it in SLSA v1 resolvedDependencies.
taskrun(name, results) := {
	"apiVersion": "tekton.dev/v1",
	"kind": "TaskRun",
	"metadata": {
		"name": sprintf("build-%s", [name]),
		"labels": {"tekton.dev/pipelineTask": name, "tekton.dev/task": name},
		"annotations": {},
	},
	"spec": {
		"params": [],
		"taskRef": {"resolver": "bundles", "params": [
			{"name": "bundle", "value": bundle(name)},
			{"name": "name", "value": name},
			{"name": "kind", "value": "task"},
		]},
	},
	"status": {
		"conditions": [{"type": "Succeeded", "status": "True", "reason": "Succeeded"}],
		"results": [{"name": k, "type": "string", "value": v} | some k, v in results],
		"steps": [{"name": "run", "imageID": "registry.access.redhat.com/ubi9@sha256:aa"}],
	},
}

v02_statement(tasks) := {
	"_type": "https://in-toto.io/Statement/v0.1",
	"predicateType": "https://slsa.dev/provenance/v0.2",
	"subject": [{"name": "quay.io/org/app", "digest": {"sha256": trim_prefix(digest, "sha256:")}}],
	"predicate": {
		"builder": {"id": "https://tekton.dev/chains/v2"},
		"buildType": "tekton.dev/v1beta1/PipelineRun",
		"buildConfig": {"tasks": tasks},
		"materials": [{"uri": sprintf("git+%s.git", [repo_url]), "digest": {"sha1": commit}}],
	},
}

v1_statement(runs) := {
	"_type": "https://in-toto.io/Statement/v1",
	"predicateType": "https://slsa.dev/provenance/v1",
	"subject": [{"name": "quay.io/org/app", "digest": {"sha256": trim_prefix(digest, "sha256:")}}],
	"predicate": {
		"buildDefinition": {
			"buildType": "https://tekton.dev/chains/v2/slsa-tekton",
			"externalParameters": {"runSpec": {"params": [{"name": "git-url", "value": repo_url}]}},
			"resolvedDependencies": array.concat(
				[{"uri": sprintf("git+%s.git", [repo_url]), "digest": {"sha1": commit}}],
				[{"name": "pipelineTask", "content": base64.encode(json.marshal(run))} | some run in runs],
			),
		},
		"runDetails": {"builder": {"id": "https://tekton.dev/chains/v2"}},
	},
}

attestation(statement) := {"statement": statement, "signatures": [{"keyid": "k", "sig": "s"}]}

# A complete image input with a v0.2 provenance of a clone + build pipeline.
v02_input := {
	"image": {"ref": image_ref, "config": {"Labels": {}}},
	"attestations": [attestation(v02_statement([
		v02_task("git-clone", clone_results),
		v02_task("buildah", build_results),
	]))],
}

# The same pipeline recorded as SLSA v1.
v1_input := {
	"image": {"ref": image_ref, "config": {"Labels": {}}},
	"attestations": [attestation(v1_statement([
		taskrun("git-clone", clone_results),
		taskrun("buildah", build_results),
	]))],
}

# Trusted task data trusting the fixture bundles.
trusted_tasks := {sprintf("oci://quay.io/konflux-ci/tekton-catalog/task-%s:0.1", [n]): [{
	"ref": bundle_digest,
	"effective_on": "2024-01-01T00:00:00Z",
}] |
	some n in ["git-clone", "buildah", "sast", "clair-scan", "run-tests", "source-build"]
}

# codes(results) are the codes of a deny or warn set, for compact assertions.
codes(results) := {r.code | some r in results}

# with_task_results(input_doc, task_name, results) sets results of one task of
# the v1 fixture pipeline (replacing all of its results).
v1_input_with(runs) := object.union(v1_input, {"attestations": [attestation(v1_statement(runs))]})

v02_input_with(tasks) := object.union(v02_input, {"attestations": [attestation(v02_statement(tasks))]})

cyclonedx_statement(components) := {
	"_type": "https://in-toto.io/Statement/v0.1",
	"predicateType": "https://cyclonedx.org/bom",
	"subject": [{"name": "quay.io/org/app", "digest": {"sha256": trim_prefix(digest, "sha256:")}}],
	"predicate": {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": components},
}

base_image(repo) := {
	"type": "container",
	"name": "base",
	"purl": sprintf("pkg:oci/base@%s?repository_url=%s", [other_digest, repo]),
	"properties": [{"name": "konflux:container:is_base_image", "value": "true"}],
}

# v1_input plus a CycloneDX SBOM with a base image and a Go module.
sbom_input := object.union(v1_input, {"attestations": array.concat(v1_input.attestations, [attestation(cyclonedx_statement([
	base_image("registry.access.redhat.com/ubi9/ubi"),
	{"type": "library", "name": "y", "purl": "pkg:golang/github.com/x/y@v1.2.0"},
]))])})
