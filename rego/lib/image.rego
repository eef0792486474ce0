package konflux.lib

import rego.v1

# parse_image_ref(ref) splits an image reference into repository, tag and
# digest: "quay.io/org/app:1.0@sha256:ab" -> {"repo": "quay.io/org/app",
# "tag": "1.0", "digest": "sha256:ab"}. Missing parts are "".
parse_image_ref(ref) := parsed if {
	is_string(ref)
	at_parts := split(ref, "@")
	name := at_parts[0]
	digest := _digest_part(at_parts)
	last_slash := _last_index(name, "/")
	tail := substring(name, last_slash + 1, -1)
	colon := indexof(tail, ":")
	parsed := _split_tag(name, tail, colon, digest)
}

_digest_part(parts) := parts[1] if count(parts) > 1
else := ""

_last_index(s, sep) := i if {
	indices := indexof_n(s, sep)
	count(indices) > 0
	i := indices[count(indices) - 1]
} else := -1

_split_tag(name, _, colon, digest) := {"repo": name, "tag": "", "digest": digest} if colon < 0

_split_tag(name, tail, colon, digest) := result if {
	colon >= 0
	tag := substring(tail, colon + 1, -1)
	repo := substring(name, 0, count(name) - count(tag) - 1)
	result := {"repo": repo, "tag": tag, "digest": digest}
}

# image_repo(ref) and image_digest(ref) are the repository and digest of ref.
image_repo(ref) := parse_image_ref(ref).repo

image_digest(ref) := parse_image_ref(ref).digest

# pinned_digest(digest) holds for a sha256/sha512 digest in canonical form.
pinned_digest(digest) if regex.match(`^sha(256:[a-f0-9]{64}|512:[a-f0-9]{128})$`, digest)

# has_prefix(value, prefixes) holds when value starts with one of prefixes.
has_prefix(value, prefixes) if {
	some prefix in prefixes
	startswith(value, prefix)
}
