package release.source_image_test

import rego.v1

import data.konflux.lib.fixtures as f
import data.release.source_image

_with_source(digest) := f.v1_input_with([f.taskrun("source-build", {"SOURCE_IMAGE_URL": "quay.io/org/app:src", "SOURCE_IMAGE_DIGEST": digest})])

test_source_image_built if {
	count(source_image.deny) == 0 with input as _with_source(f.other_digest)
}

test_no_source_image if {
	f.codes(source_image.deny) == {"release.source_image.exists"} with input as f.v1_input
}

test_source_image_unpinned if {
	f.codes(source_image.deny) == {"release.source_image.source_image_pinned"} with input as _with_source("latest")
}
