"""Image references, parsed exactly as go-containerregistry's `name` package does.

`cosign`, `ec` and Tekton Chains all parse with go-containerregistry, so a
reference means the same registry/repository here as there:

- the first path segment is a registry only if it holds a `.` or a `:`
  (`localhost:5000/x`, `quay.io/x`); otherwise the registry is Docker Hub,
  spelled `index.docker.io` (`docker.io` is rewritten to it);
- a single-segment Docker Hub repository gets the `library/` namespace;
- repository characters `[a-z0-9_./-]`, 2..255 long; tags `[A-Za-z0-9_.-]`,
  1..127 long, default `latest`;
- digests are `sha256:<64 hex>` after exactly one `@`; `repo:tag@digest`
  keeps the digest as the identifier (the tag is informational).

The grammar is the one of the OCI distribution spec, section "Pulling
manifests" (`<name>` and `<reference>` path components).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from konflux.engine.oci.errors import InvalidReferenceError

DEFAULT_REGISTRY = "index.docker.io"
DEFAULT_TAG = "latest"
_DOCKER_HUB_ALIAS = "docker.io"
_REPOSITORY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-./")
_TAG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class ImageReference:
    """A parsed image reference; `digest` wins over `tag` when both are present."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def context(self) -> str:
        """`registry/repository`: what blobs, tags and referrers hang off."""
        return f"{self.registry}/{self.repository}"

    @property
    def identifier(self) -> str:
        """What goes in `/v2/<name>/manifests/<reference>`: the digest, else the tag."""
        return self.digest or self.tag or DEFAULT_TAG

    def with_digest(self, digest: str) -> ImageReference:
        if not _DIGEST_RE.match(digest):
            raise InvalidReferenceError(digest, "a digest must be sha256:<64 lowercase hex>")
        return replace(self, digest=digest)

    def with_tag(self, tag: str) -> ImageReference:
        _check_tag(tag, tag)
        return replace(self, tag=tag, digest=None)

    def by_digest(self, digest: str) -> ImageReference:
        """The same repository at `digest`, without a tag."""
        return replace(self, tag=None).with_digest(digest)

    def __str__(self) -> str:
        text = self.context
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_reference(text: str) -> ImageReference:
    """Parse `text` like go-containerregistry's `name.ParseReference` (weak validation)."""
    if not isinstance(text, str) or not text:
        raise InvalidReferenceError(str(text), "empty reference")
    if "@" in text:
        parts = text.split("@")
        if len(parts) != 2:
            raise InvalidReferenceError(text, "a digest reference must contain exactly one '@'")
        base, digest = parts
        if not _DIGEST_RE.match(digest):
            raise InvalidReferenceError(text, f"digest {digest!r} is not sha256:<64 lowercase hex>")
        registry, repository, tag = _split_tag(base, text)
        return ImageReference(registry, repository, tag, digest)
    registry, repository, tag = _split_tag(text, text)
    return ImageReference(registry, repository, tag or DEFAULT_TAG, None)


def parse_repository(text: str) -> ImageReference:
    """Parse `registry/repository` (no tag or digest) into a reference without identifier."""
    registry, repository = _split_repository(text, text)
    return ImageReference(registry, repository)


def _split_tag(base: str, original: str) -> tuple[str, str, str | None]:
    tag: str | None = None
    parts = base.split(":")
    # A last ':' part holding a '/' is a registry port (host:5000/repo), not a tag.
    if len(parts) > 1 and "/" not in parts[-1]:
        base = ":".join(parts[:-1])
        # An empty tag ("repo:") means the default tag, as in ggcr's weak validation.
        tag = parts[-1] or None
        if tag is not None:
            _check_tag(tag, original)
    registry, repository = _split_repository(base, original)
    return registry, repository, tag


def _split_repository(name: str, original: str) -> tuple[str, str]:
    if not name:
        raise InvalidReferenceError(original, "a repository name must be specified")
    registry = ""
    repository = name
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first):
        registry, repository = first, rest
    _check_element("repository", repository, _REPOSITORY_CHARS, 2, 255, original)
    registry = _check_registry(registry, original)
    if registry == DEFAULT_REGISTRY and "/" not in repository:
        repository = f"library/{repository}"
    return registry, repository


def _check_registry(name: str, original: str) -> str:
    if name:
        try:
            host_ok = urlsplit(f"//{name}").netloc == name
        except ValueError:
            host_ok = False
        if not host_ok or any(c in name for c in "/?#@ "):
            raise InvalidReferenceError(
                original, f"registry {name!r} is not a valid RFC 3986 authority"
            )
    if not name or name == _DOCKER_HUB_ALIAS:
        return DEFAULT_REGISTRY
    return name


def _check_tag(tag: str, original: str) -> None:
    _check_element("tag", tag, _TAG_CHARS, 1, 127, original)


def _check_element(
    what: str, value: str, allowed: frozenset[str], lo: int, hi: int, original: str
) -> None:
    if not lo <= len(value) <= hi:
        raise InvalidReferenceError(
            original, f"{what} {value!r} must be between {lo} and {hi} characters long"
        )
    bad = sorted({c for c in value if c not in allowed})
    if bad:
        raise InvalidReferenceError(
            original, f"{what} {value!r} contains invalid characters {''.join(bad)!r}"
        )


def host_of(registry: str) -> str:
    """The host part of `host[:port]` (IPv6 brackets removed)."""
    if registry.startswith("["):
        return registry[1 : registry.index("]")]
    return registry.rsplit(":", 1)[0] if registry.count(":") == 1 else registry


def is_loopback(registry: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (with or without a port)."""
    host = host_of(registry)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
