"""Fixtures of the release end-to-end tests (defined in `release_e2e_support`)."""

from release_e2e_support import (  # noqa: F401 - fixtures
    release,
    release_world,
    schema_checked_release,
)
