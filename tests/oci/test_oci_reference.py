"""Image references parse as go-containerregistry's `name.ParseReference` does."""

from __future__ import annotations

import pytest

from konflux.engine.oci import ImageReference, InvalidReferenceError, parse_reference
from konflux.engine.oci.reference import is_loopback, parse_repository

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        ("ubuntu", "index.docker.io", "library/ubuntu", "latest", None),
        ("ubuntu:22.04", "index.docker.io", "library/ubuntu", "22.04", None),
        ("docker.io/ubuntu", "index.docker.io", "library/ubuntu", "latest", None),
        ("docker.io/bitnami/redis:7", "index.docker.io", "bitnami/redis", "7", None),
        ("index.docker.io/library/ubuntu", "index.docker.io", "library/ubuntu", "latest", None),
        ("quay.io/konflux/app:v1", "quay.io", "konflux/app", "v1", None),
        ("localhost:5000/app", "localhost:5000", "app", "latest", None),
        ("127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000", "a/b/c", "t", None),
        # No '.' or ':' in the first segment: it is a Docker Hub namespace, as in ggcr.
        ("localhost/app", "index.docker.io", "localhost/app", "latest", None),
        (f"quay.io/x/y@{DIGEST}", "quay.io", "x/y", None, DIGEST),
        (f"quay.io/x/y:1@{DIGEST}", "quay.io", "x/y", "1", DIGEST),
        (f"registry:5000/xy@{DIGEST}", "registry:5000", "xy", None, DIGEST),
        ("quay.io/x/y:", "quay.io", "x/y", "latest", None),
        ("[::1]:5000/app:v", "[::1]:5000", "app", "v", None),
    ],
)
def test_parses_like_go_containerregistry(text, registry, repository, tag, digest):
    ref = parse_reference(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry,
        repository,
        tag,
        digest,
    )
    assert ref.context == f"{registry}/{repository}"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("quay.io/Upper/case", "invalid characters"),
        ("quay.io/x/y:bad/tag", "invalid characters"),
        ("quay.io/x/y@sha256:abc", "64 lowercase hex"),
        (f"quay.io/x/y@md5:{'a' * 64}", "sha256"),
        (f"quay.io/x@{DIGEST}@{DIGEST}", "exactly one '@'"),
        ("a", "between 2 and 255"),
        ("quay.io/x/y:" + "t" * 128, "between 1 and 127"),
    ],
)
def test_invalid_references_name_the_problem(text, fragment):
    with pytest.raises(InvalidReferenceError) as caught:
        parse_reference(text)
    assert fragment in str(caught.value)
    assert repr(text) in str(caught.value)


def test_str_round_trips_and_digest_wins():
    ref = parse_reference("quay.io/x/y:1")
    pinned = ref.with_digest(DIGEST)
    assert str(pinned) == f"quay.io/x/y:1@{DIGEST}"
    assert pinned.identifier == DIGEST
    assert parse_reference(str(pinned)) == pinned
    assert str(pinned.by_digest(DIGEST)) == f"quay.io/x/y@{DIGEST}"
    assert str(parse_reference("ubuntu")) == "index.docker.io/library/ubuntu:latest"


def test_with_digest_rejects_a_malformed_digest():
    with pytest.raises(InvalidReferenceError):
        parse_reference("quay.io/x/y").with_digest("sha256:nothex")


def test_repository_without_identifier():
    ref = parse_repository("quay.io/org/repo")
    assert ref == ImageReference("quay.io", "org/repo")


@pytest.mark.parametrize(
    ("registry", "loopback"),
    [
        ("localhost", True),
        ("localhost:5000", True),
        ("127.0.0.1:1", True),
        ("127.8.9.10", True),
        ("[::1]:5000", True),
        ("::1", True),
        ("10.0.0.1:5000", False),
        ("quay.io", False),
        ("localhost.example.com", False),
        ("registry.konflux.test:443", False),
    ],
)
def test_loopback_hosts(registry, loopback):
    assert is_loopback(registry) is loopback
