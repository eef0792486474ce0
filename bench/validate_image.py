"""`validate image` on a 50-component Snapshot from a local registry: wall time vs the I/O floor.

Publishes N images (each signed and with one SLSA provenance attestation) to
Debian's docker-registry on loopback, then for each worker count measures:
- validate: `SnapshotValidator.validate` with the demo policy (everything the
  command does: access, resolve, configs, verification, evaluation);
- floor: the same client fetching the same manifests, config, signature and
  attestation artifacts (manifests and layer blobs) with the same concurrency.
A fresh client per run, so no cache carries over.

    python3 bench/validate_image.py [--components 50] [--workers 1,2,5,10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from konflux.engine import Settings, load_policy
from konflux.engine.image.snapshot import Component, Snapshot
from konflux.engine.image.validator import ImageCheckSettings, SnapshotValidator
from konflux.engine.oci import SyncRegistry, parse_reference
from konflux.engine.sigstore import check_options
from konflux.testing import (
    LocalRegistry,
    demo_policy_json,
    free_port,
    publish_passing_components,
)


def _floor_one(sync: SyncRegistry, image: str) -> None:
    ref = parse_reference(image)
    sync.run(sync.client.head_manifest(ref))
    manifest = sync.run(sync.client.get_manifest(ref))
    sync.run(sync.client.get_blob(ref, manifest.json["config"]["digest"]))
    sync.run(sync.client.referrers(ref))  # signatures may also be OCI 1.1 referrers
    for suffix in ("sig", "att"):
        tagged = ref.with_tag(ref.digest.replace(":", "-") + "." + suffix)
        art = sync.run(sync.client.get_manifest(tagged))
        for layer in art.json["layers"]:
            sync.run(sync.client.get_blob(tagged, layer["digest"]))


def floor(images: list[str], workers: int, host: str) -> float:
    with SyncRegistry(insecure=[host], max_concurrency=4 * workers) as sync:
        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda i: _floor_one(sync, i), images))
        return time.perf_counter() - start


def validate(images: list[str], workers: int, host: str, public: str) -> tuple[float, bool]:
    policy = load_policy(demo_policy_json())
    snapshot = Snapshot("bench", "", [Component(f"c{i}", img) for i, img in enumerate(images)])
    checks = ImageCheckSettings(
        trust=check_options(public_key=public, ignore_rekor=True), key_pem=public, workers=workers
    )
    with SyncRegistry(insecure=[host], max_concurrency=4 * workers) as sync:
        start = time.perf_counter()
        report = SnapshotValidator(policy, Settings(), sync, checks).validate(snapshot)
        return time.perf_counter() - start, report.success


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=50)
    parser.add_argument("--workers", default="1,2,5,10")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LocalRegistry(Path(tmp), free_port()) as reg:
        images, public = publish_passing_components(reg.host, args.components)
        rows = []
        print(f"{'workers':>7} {'validate s':>11} {'floor s':>9} {'ratio':>6} {'per image ms':>13}")
        for workers in [int(w) for w in args.workers.split(",")]:
            v = [validate(images, workers, reg.host, public) for _ in range(args.repeat)]
            f = [floor(images, workers, reg.host) for _ in range(args.repeat)]
            wall = statistics.median(t for t, _ in v)
            io = statistics.median(f)
            assert all(ok for _, ok in v), "the benchmark images must pass the policy"
            rows.append(
                {
                    "workers": workers,
                    "validate_s": round(wall, 3),
                    "floor_s": round(io, 3),
                    "ratio": round(wall / io, 2),
                }
            )
            print(
                f"{workers:7d} {wall:11.3f} {io:9.3f} {wall / io:6.2f} "
                f"{1000 * wall / args.components:13.1f}"
            )
        print(json.dumps({"components": args.components, "runs": rows}))


if __name__ == "__main__":
    main()
