"""Media types of manifests, indexes and layers the client reads and writes.

OCI image spec (`media-types.md`) and the Docker v2 schema 2 types; the
`Accept` header of a manifest GET lists every manifest kind we understand, as
the OCI distribution spec, section "Pulling manifests", asks of clients.
"""

from __future__ import annotations

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"

IMAGE_MANIFESTS = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
INDEXES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
MANIFESTS = IMAGE_MANIFESTS | INDEXES

# Order is preference; registries pick the first they can serve.
MANIFEST_ACCEPT = ", ".join([OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST])

GZIP_LAYERS = frozenset({OCI_LAYER_GZIP, DOCKER_LAYER_GZIP})
TAR_LAYERS = frozenset({OCI_LAYER_TAR, "application/vnd.docker.image.rootfs.diff.tar"})


def is_index(media_type: str | None) -> bool:
    return media_type in INDEXES


def is_image_manifest(media_type: str | None) -> bool:
    return media_type in IMAGE_MANIFESTS
