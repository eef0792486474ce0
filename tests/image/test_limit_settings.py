"""Size and extraction limits set as a user sets them: `konflux --limit NAME=VALUE` and
`KONFLUX_LIMIT_<NAME>`, each in a real `konflux validate image` process.

Issue 10, items 9-11: docs/limits.md promises both forms for every limit on the
verification path. One image (40 JSON files in one gzip layer, signed and
attested) passes a policy that reads its files under the defaults; each limit
lowered below what the image needs turns that pass into a violation naming the
limit, whichever form set it. Bad settings are usage errors naming the setting.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from image_support import LABELS, ROOT, Publisher, Signer

from konflux.engine.oci import ImageReference, build_image

# Passes while `ec.oci.image_files` can read the files; a builtin past a limit errors, and
# an erroring builtin is a failure of the rule (never a pass).
FILES_RULE = """package filesread

import rego.v1

# METADATA
# custom:
#   short_name: read
deny contains {"code": "filesread.read", "msg": "no files"} if {
\tcount(ec.oci.image_files(input.image.ref, ["conf/"])) == 0
}
"""


@pytest.fixture(scope="module")
def files_policy(tmp_path_factory) -> str:
    rules = tmp_path_factory.mktemp("filesread")
    (rules / "rules.rego").write_text(FILES_RULE)
    return json.dumps(
        {
            "sources": [
                {
                    "policy": [
                        str(ROOT / "examples/rego/image"),
                        str(ROOT / "examples/rego/lib"),
                        str(rules),
                    ],
                    "ruleData": {
                        "required_labels": ["name"],
                        "allowed_builder_ids": ["https://tekton.dev/chains/v2"],
                    },
                }
            ]
        }
    )


@pytest.fixture
def image(publisher: Publisher, signer: Signer) -> ImageReference:
    # 40 files of ~4 KiB hex each: ~160 KiB decompressed, ~80 KiB compressed.
    files = {
        f"conf/{i}.json": json.dumps({"pad": secrets.token_hex(2048)}).encode() for i in range(40)
    }
    build = build_image(files, labels=LABELS)
    ref = publisher.sync.run(
        build.push(publisher.sync.client, publisher.registry.ref("limits/files", "v1"))
    )
    publisher.sign(ref, signer)
    publisher.attest(ref, signer)
    return ref


def _konflux(
    tmp_path: Path, root_flags: list[str], env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KONFLUX_LIMIT_")}
    return subprocess.run(
        [sys.executable, "-m", "konflux", *root_flags, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**environ, **env},
        timeout=240,
    )


def _validate(tmp_path, signer, files_policy, image, root_flags, env):
    key = tmp_path / "cosign.pub"
    key.write_text(signer.public_pem)
    return _konflux(
        tmp_path,
        root_flags,
        env,
        "validate",
        "image",
        "--image",
        str(image),
        "--policy",
        files_policy,
        "--public-key",
        str(key),
        "--ignore-rekor",
        "-o",
        "json",
    )


def _violations(done: subprocess.CompletedProcess[str]) -> str:
    report = json.loads(done.stdout)
    return "\n".join(
        f"{v['metadata']['code']}: {v['msg']}"
        for c in report["components"]
        for v in c.get("violations", [])
    )


def test_the_image_passes_under_the_default_limits(tmp_path, signer, files_policy, image):
    # The baseline the cases below lower a limit from: nothing else fails this image.
    done = _validate(tmp_path, signer, files_policy, image, [], {})
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["success"] is True


# Each limit below what the image needs: the read it bounds, and the message naming it.
LOWERED = [
    ("manifest-bytes", "256"),  # the image's own manifest is longer
    ("blob-bytes", "64"),  # a signature payload is longer
    ("layer-bytes", "16KiB"),  # the compressed layer is ~80 KiB
    ("extract-bytes", "16KiB"),  # the layer inflates to ~160 KiB
    ("extract-files", "10"),  # the layer holds 40 files
]


@pytest.mark.parametrize("form", ["flag", "env"])
@pytest.mark.parametrize(("name", "value"), LOWERED)
def test_lowered_limit_is_a_violation_naming_it(
    tmp_path, signer, files_policy, image, name, value, form
):
    if form == "flag":
        flags, env = ["--limit", f"{name}={value}"], {}
    else:
        flags, env = [], {"KONFLUX_LIMIT_" + name.upper().replace("-", "_"): value}
    done = _validate(tmp_path, signer, files_policy, image, flags, env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    violations = _violations(done)
    assert f"past the {name} limit" in violations, violations


def test_the_flag_wins_over_the_environment(tmp_path, signer, files_policy, image):
    # The environment lowers extract-files below the image's 40 files; the flag raises it back.
    done = _validate(
        tmp_path,
        signer,
        files_policy,
        image,
        ["--limit", "extract-files=100"],
        {"KONFLUX_LIMIT_EXTRACT_FILES": "10"},
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("flags", "env", "message"),
    [
        (["--limit", "nope=1"], {}, "--limit 'nope=1': expected NAME=VALUE with NAME one of"),
        (["--limit", "blob-bytes"], {}, "--limit 'blob-bytes': expected NAME=VALUE"),
        (
            ["--limit", "blob-bytes=abc"],
            {},
            "--limit: blob-bytes: 'abc' is not a size such as 4096, 64KiB, 4MiB, 1GiB",
        ),
        (["--limit", "extract-files=0"], {}, "--limit: extract-files: must be positive"),
        (
            [],
            {"KONFLUX_LIMIT_BLOB_BYTES": "abc"},
            "environment variable KONFLUX_LIMIT_BLOB_BYTES: 'abc' is not a size such as 4096",
        ),
        # A misspelt variable would otherwise leave the default in place unnoticed.
        (
            [],
            {"KONFLUX_LIMIT_EXTRACTBYTES": "1GiB"},
            "environment variable KONFLUX_LIMIT_EXTRACTBYTES names no limit; known: "
            "KONFLUX_LIMIT_BLOB_BYTES",
        ),
    ],
)
def test_bad_setting_is_a_usage_error_naming_it(tmp_path, flags, env, message):
    done = _konflux(tmp_path, flags, env, "validate", "input", "{}", "--policy", "x.yaml")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert message in done.stderr, done.stderr
    # An environment variable is not blamed on a flag the user did not give.
    assert ("Invalid value for --limit" in done.stderr) is bool(flags), done.stderr
