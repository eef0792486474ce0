"""Fixtures of the release end-to-end tests (defined in `release_e2e_support`)."""

from release_e2e_support import release, release_world  # noqa: F401 - fixtures
