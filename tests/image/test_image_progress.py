"""`validate image` reports its phases with true totals: recounted after index expansion."""

from __future__ import annotations

from image_support import LABELS, demo_policy
from support import ProgressRecorder

from konflux.engine import Settings
from konflux.engine.image.snapshot import Component, Snapshot
from konflux.engine.image.validator import ImageCheckSettings, SnapshotValidator
from konflux.engine.sigstore import check_options


def test_phases_count_the_components_an_index_expands_into(oci, registry, publisher, signer):
    index, _ = oci.push_index(registry.ref("progress/multi", "v1"), labels=LABELS)
    signed = publisher.release_ready("progress/app", signer)
    snapshot = Snapshot(components=[Component("multi", str(index)), Component("app", str(signed))])
    checks = ImageCheckSettings(
        trust=check_options(public_key=signer.public_pem, ignore_rekor=True),
        key_pem=signer.public_pem,
    )
    recorder = ProgressRecorder()
    SnapshotValidator(demo_policy(), Settings(), oci.sync, checks).validate(
        snapshot, progress=recorder
    )
    phases = [c[1:] for c in recorder.calls if c[0] == "start"]
    assert phases == [("resolving", 2), ("verifying", 4), ("evaluating", 4)]
    per_phase: dict[str, list[tuple]] = {}
    phase = ""
    for call in recorder.calls:
        if call[0] == "start":
            phase = call[1]
        elif call[0] == "advance":
            per_phase.setdefault(phase, []).append(call)
    assert len(per_phase["verifying"]) == 4
    # the unsigned index and its two platforms fail their checks; the signed image does not
    assert sum(c[2] for c in per_phase["verifying"]) == 3
    assert sum(c[2] for c in per_phase["evaluating"]) == 3
    notes = {c[1] for c in recorder.calls if c[0] == "note"}
    assert {"multi", "app"} <= notes
