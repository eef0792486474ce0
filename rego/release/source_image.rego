# METADATA
# title: Source image
# description: >-
#   A source container image (the sources the image was built from) was
#   built with the image: a task reports SOURCE_IMAGE_URL and SOURCE_IMAGE_DIGEST.
package release.source_image

import rego.v1

import data.konflux.lib

_source_tasks contains task if {
	some task in lib.all_tasks
	is_string(task.results.SOURCE_IMAGE_URL)
	trim_space(task.results.SOURCE_IMAGE_URL) != ""
}

# METADATA
# title: Source image built
# description: A task of the pipeline reports a SOURCE_IMAGE_URL result.
# custom:
#   short_name: exists
#   failure_msg: No source image was built for the image
#   solution: Add the source-build task to the build pipeline.
#   collections: [konflux]
#   depends_on: [release.attestation_type.pipelinerun_attestation_found]
deny contains result if {
	count(_source_tasks) == 0
	result := lib.result(rego.metadata.chain(), [])
}

# METADATA
# title: Source image pinned
# description: Every source image result comes with a SOURCE_IMAGE_DIGEST that is a sha256 or sha512 digest.
# custom:
#   short_name: source_image_pinned
#   failure_msg: Source image %q of task %q has no valid digest (%q)
#   solution: Make the source-build task report the digest of the source image it pushed.
#   collections: [konflux]
#   depends_on: [release.source_image.exists]
deny contains result if {
	some task in _source_tasks
	digest := object.get(task.results, "SOURCE_IMAGE_DIGEST", "")
	not lib.pinned_digest(digest)
	result := lib.result_with_term(rego.metadata.chain(), [task.results.SOURCE_IMAGE_URL, task.name, digest], task.name)
}
