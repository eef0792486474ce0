# METADATA
# title: SLSA scripted build
# description: >-
#   The image was produced by a scripted build: a pipeline task with steps
#   that reports the image it built (IMAGE_URL and IMAGE_DIGEST results),
#   that image is the one attested, and the task is a trusted one.
package release.slsa_build_scripted_build

import rego.v1

import data.konflux.lib

# METADATA
# title: Build task found
# description: A PipelineRun provenance contains a task with IMAGE_URL and IMAGE_DIGEST results.
# custom:
#   short_name: build_task_image_results_found
#   failure_msg: No build task with IMAGE_URL and IMAGE_DIGEST results was found
#   solution: Build the image with a task that reports IMAGE_URL and IMAGE_DIGEST results, as the Konflux build tasks do.
#   collections: [slsa3, konflux]
#   depends_on: [release.attestation_type.pipelinerun_attestation_found]
deny contains result if {
	count(lib.build_tasks) == 0
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: Build script used
# description: Every build task ran steps (the build script) recorded in the provenance.
# custom:
#   short_name: build_script_used
#   failure_msg: Build task %q has no recorded steps
#   solution: Use a build task whose steps are recorded by Tekton Chains.
#   collections: [slsa3, konflux]
#   depends_on: [release.slsa_build_scripted_build.build_task_image_results_found]
deny contains result if {
	some task in lib.build_tasks
	count(task.steps) == 0
	result := lib.result_with_term(rego.metadata.chain(), [task.name], task.name)
}

# METADATA
# title: Subject matches a built image
# description: Every subject of a PipelineRun provenance is an image one of its build tasks produced.
# custom:
#   short_name: subject_build_task_matches
#   failure_msg: Subject %s@%s does not match any image built by the pipeline
#   solution: Make sure the provenance is the one of the build that produced the image.
#   collections: [slsa3, konflux]
#   depends_on: [release.slsa_build_scripted_build.build_task_image_results_found]
deny contains result if {
	some statement in lib.pipelinerun_provenances
	built := {t.results.IMAGE_DIGEST | some t in lib.tasks(statement); t in lib.build_tasks}
	some subject in statement.subject
	some algorithm, value in subject.digest
	digest := sprintf("%s:%s", [algorithm, value])
	not digest in built
	result := lib.result_with_term(rego.metadata.chain(), [object.get(subject, "name", ""), digest], digest)
}

# METADATA
# title: Image built by the pipeline
# description: A build task of the provenance reports the image's own digest as its IMAGE_DIGEST.
# custom:
#   short_name: image_built_by_build_task
#   failure_msg: No build task of the provenance produced image %s
#   solution: Validate the image together with the provenance of the build that produced it.
#   collections: [slsa3, konflux]
#   depends_on: [release.slsa_build_scripted_build.build_task_image_results_found]
deny contains result if {
	count(lib.build_tasks) > 0
	digest := lib.image_digest(input.image.ref)
	not digest in {t.results.IMAGE_DIGEST | some t in lib.build_tasks}
	result := lib.result_with_term(rego.metadata.chain(), [input.image.ref], digest)
}

# METADATA
# title: Image built by a trusted task
# description: >-
#   The build task that produced the image (its IMAGE_DIGEST is the image's
#   digest) is pinned and listed in the trusted tasks data.
# custom:
#   short_name: image_built_by_trusted_task
#   failure_msg: Image %s was built by task %q, which is not a trusted task
#   solution: Build the image with a trusted build task bundle; see the trusted_tasks data.
#   collections: [slsa3, konflux]
#   depends_on: [release.slsa_build_scripted_build.build_task_image_results_found]
deny contains result if {
	digest := lib.image_digest(input.image.ref)
	some task in lib.build_tasks
	task.results.IMAGE_DIGEST == digest
	not lib.trusted(task.ref)
	result := lib.result_with_term(rego.metadata.chain(), [input.image.ref, task.name], task.name)
}
