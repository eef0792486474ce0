"""`validate image`: an error found while the policy's Rego is loaded names the image and
component being evaluated, as `ec` words it (features/validate_image "Unsupported
policies")."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from image_support import Publisher, Signer

from konflux.cli.main import cli


def test_an_unsupported_rule_names_the_image_and_component(
    tmp_path: Path, publisher: Publisher, signer: Signer
):
    ref = publisher.release_ready("wording/image", signer)
    source = tmp_path / "policy"
    source.mkdir()
    (source / "main.rego").write_text("package main\n\nimport rego.v1\n\ndeny if { true }\n")
    key = tmp_path / "cosign.pub"
    key.write_text(signer.public_pem)
    result = CliRunner().invoke(
        cli,
        ["validate", "image", "-i", str(ref), "-p",
         json.dumps({"sources": [{"policy": [str(source)]}]}), "-k", str(key), "--ignore-rekor"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: error validating image {ref} of component Unnamed: the rule "
        '"deny = true if { true }" returns an unsupported value, at main.rego:5'
    ]
