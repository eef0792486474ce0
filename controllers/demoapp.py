"""The demo application `konflux demo` and `konflux dev simulate` build: its components'
image labels, its git repository and the SBOM each component ships."""

from __future__ import annotations

import json

COMPONENTS = {
    "api": {"name": "demo-api", "version": "1.0", "vendor": "Konflux"},
    "web": {"name": "demo-web", "version": "1.0", "vendor": "Konflux"},
    "worker": {"name": "demo-worker", "version": "1.0"},  # no vendor: fails required_labels
}
GIT_URL = "https://github.com/konflux-ci/demo-app"


def sbom_document(name: str) -> bytes:
    """A CycloneDX SBOM naming one library of the component."""
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "components": [{"type": "library", "name": f"{name}-lib", "purl": f"pkg:pypi/{name}@1.0"}],
    }
    return json.dumps(doc).encode()
