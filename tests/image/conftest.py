"""Fixtures for `validate image` tests (defined in `image_support`)."""

from image_support import other_signer, publisher, signer, validate  # noqa: F401 - fixtures
