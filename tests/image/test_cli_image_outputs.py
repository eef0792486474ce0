"""`validate image` writes every report target it can after a run, and names the others."""

from __future__ import annotations

import json
import subprocess
import sys

from image_support import IMAGE_SPEC, Publisher, Signer


def test_stdout_on_a_full_disk_still_writes_the_file_targets(
    tmp_path, publisher: Publisher, signer: Signer
):
    ref = publisher.release_ready("outputs/full", signer)
    key = tmp_path / "cosign.pub"
    key.write_text(signer.public_pem)
    report, test_output = tmp_path / "report.json", tmp_path / "TEST_OUTPUT"
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "konflux", "validate", "image", "-i", str(ref), "-p",
             json.dumps(IMAGE_SPEC), "-k", str(key), "--ignore-rekor", "-o", "text",
             "-o", f"json={report}", "-o", f"appstudio={test_output}"],
            stdout=full, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    assert done.returncode == 1  # the image passed; the text report could not be written
    assert done.stderr.strip().splitlines() == [
        "Error: could not write the text report to stdout: No space left on device"
    ]
    assert json.loads(report.read_text())["success"] is True
    assert json.loads(test_output.read_text())["result"] == "SUCCESS"
