"""The OCI registry client: references, an async client, a sync facade, image building.

Public surface: `parse_reference`/`ImageReference`, `RegistryClient` (async),
`SyncRegistry` (blocking, for OPA builtins), `RetryPolicy`, the credential
stores, image builders, and the `RegistryError` family. It implements the OCI
distribution spec v1.1 (pull, push, tags, referrers with the tag-schema
fallback) with the Docker token-auth challenge flow; see each module.
"""

from konflux.engine.oci.auth import Credentials, DockerConfigCredentials, StaticCredentials
from konflux.engine.oci.client import Descriptor, Manifest, RegistryClient, sha256_digest
from konflux.engine.oci.errors import (
    AuthenticationError,
    DigestMismatchError,
    InsecureRegistryError,
    InvalidReferenceError,
    NotFoundError,
    RegistryError,
)
from konflux.engine.oci.images import ImageBuild, IndexBuild, build_image, build_index
from konflux.engine.oci.reference import ImageReference, parse_reference
from konflux.engine.oci.retry import RetryPolicy
from konflux.engine.oci.sync import SyncRegistry

__all__ = [
    "AuthenticationError",
    "Credentials",
    "Descriptor",
    "DigestMismatchError",
    "DockerConfigCredentials",
    "ImageBuild",
    "ImageReference",
    "IndexBuild",
    "InsecureRegistryError",
    "InvalidReferenceError",
    "Manifest",
    "NotFoundError",
    "RegistryClient",
    "RegistryError",
    "RetryPolicy",
    "StaticCredentials",
    "SyncRegistry",
    "build_image",
    "build_index",
    "parse_reference",
    "sha256_digest",
]
