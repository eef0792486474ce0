"""The fixed choices the engine accepts, in a module light enough to import at CLI startup.

The CLI declares its options (`konflux.cli.options`) from these tuples before
any command runs; the modules that implement each choice import them from
here, so a choice cannot be added in one place and forgotten in the other.
"""

from __future__ import annotations

# How `ec-policy` and `include-exclude` select rules (`konflux.engine.evaluation`).
FILTER_TYPES = ("include-exclude", "ec-policy")

# Report formats (`konflux.engine.output.formats`): `validate input` writes the first
# group, `validate image` all of them. `hacbs` is the old name of `appstudio`.
INPUT_FORMATS = ("json", "yaml", "text", "summary", "appstudio", "hacbs")
IMAGE_FORMATS = (
    "json",
    "yaml",
    "text",
    "summary",
    "appstudio",
    "junit",
    "summary-markdown",
    "policy-input",
    "attestation",
    "vsa",
    "hacbs",
)
# The Tekton TEST_OUTPUT formats: they get a document even when the run fails.
APPSTUDIO_FORMATS = ("appstudio", "hacbs")

# Signing key algorithms (`konflux.engine.sigstore.keys`), cosign's default first.
KEY_ALGORITHMS = (
    "ecdsa-p256",
    "ecdsa-p384",
    "ecdsa-p521",
    "rsa-2048",
    "rsa-3072",
    "rsa-4096",
    "ed25519",
)

# cosign's `attest --type` shorthands (`konflux.engine.sigstore.payloads`).
PREDICATE_KINDS = (
    "slsaprovenance",
    "slsaprovenance02",
    "slsaprovenance1",
    "cyclonedx",
    "spdx",
    "spdxjson",
    "custom",
)

# `sbom attach --type` (`konflux.engine.sigstore.cosign_layout`).
SBOM_KINDS = ("spdx", "cyclonedx", "syft")
# `validate image --attestation-format`: a signed DSSE envelope or the bare VSA statement.
VSA_FORMATS = ("dsse", "predicate")
