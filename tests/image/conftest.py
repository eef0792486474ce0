"""Fixtures for `validate image` tests (defined in `image_support`)."""

from cluster_support import emulated_cluster  # noqa: F401 - fixture
from image_support import other_signer, publisher, signer, validate  # noqa: F401 - fixtures
