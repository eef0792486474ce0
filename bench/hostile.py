"""Hostile inputs against the verification path: peak memory and time of each, as a user meets them.

Each scenario runs the real `konflux` command in a child process (so its peak
RSS is the child's own, from `wait4`), under a wall-clock timeout and an
address-space cap so a run that would exhaust the machine stops instead:

- `webhook-slow` (issue 10 item 8): `konflux webhook serve`; 50 TLS
  connections each send the headers and 2.9 MB of a 3,000,000-byte body, then
  stall. Reported: the server's peak RSS, how many stalled connections are
  still open after 20 s, and whether /healthz still answers while 300 more
  connections stall in their headers.
- `yaml-bomb` (item 9): `konflux validate input` of a 324-byte YAML alias bomb.
- `image-files-bomb` (item 9): `validate image` whose policy calls
  `ec.oci.image_files` on a layer holding the same bomb.
- `layer-128m`, `layer-1g` (item 10): `validate image` whose policy calls
  `ec.oci.image_files` on a ~130 KB layer holding a 128 MiB file of zeros
  (asking for that file), and on a ~1 MB layer holding 1 GiB (asking for a
  file that is not there, so the whole layer is walked).
- `huge-sig` (item 11): `validate image` through the tests' fault proxy, which
  answers the image's `.sig` manifest with a streamed 512 MiB body; also
  reported: how much of it left the proxy before the client hung up.

    python3 bench/hostile.py [--only NAME,...] [--timeout 240] [--max-memory-gib 6]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

from konflux.engine.digests import sha256_digest
from konflux.engine.oci import SyncRegistry, build_image, parse_reference
from konflux.engine.oci import media_types as mt
from konflux.engine.oci.images import ImageBuild, canonical_json
from konflux.testing import (
    YAML_ALIAS_BOMB,
    FaultProxy,
    LocalRegistry,
    LoopThread,
    Publisher,
    Signer,
    free_port,
)

MIB = 1024 * 1024
BOMB = YAML_ALIAS_BOMB.encode()
FILES_RULE = """package bench

import rego.v1

# METADATA
# title: Files read
# custom:
#   short_name: files
deny contains {"code": "bench.files", "msg": sprintf("%d files", [count(files)])} if {
\tfiles := ec.oci.image_files(input.image.ref, [PATHS])
}
"""


# -- running a child and measuring it ----------------------------------------------------------


def measure(argv: list[str], timeout: float, max_memory: int, env: dict | None = None) -> dict:
    """Run `argv`; its wall time, peak RSS (MiB), exit status and last stderr line."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))

    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        child = subprocess.Popen(
            argv,
            stdout=out,
            stderr=err,
            preexec_fn=limit,
            env={**os.environ, **(env or {})},
        )
        timed_out = False
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                timed_out = True
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - start
        err.seek(0)
        lines = [ln for ln in err.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        out.seek(0)
        report = out.read().decode("utf-8", "replace")
    result = {
        "seconds": round(elapsed, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "exit": "killed at timeout" if timed_out else child.returncode,
        "says": (lines[-1][:160] if lines else ""),
    }
    violation = _telling_violation(report)
    if violation:
        result["violation"] = violation if len(violation) < 240 else "..." + violation[-240:]
    return result


def _telling_violation(report: str) -> str:
    """From a JSON image report: the violation naming a limit, else the first one."""
    try:
        components = json.loads(report).get("components") or []
    except ValueError:
        return ""
    messages = [str(v.get("msg", "")) for c in components for v in c.get("violations") or []]
    return next((m for m in messages if "limit" in m), messages[0] if messages else "")


def konflux(*args: str) -> list[str]:
    return [sys.executable, "-m", "konflux", *args]


# -- images with hostile layers ------------------------------------------------------------------


def zero_layer(name: str, size: int) -> tuple[bytes, str]:
    """A gzip tar layer holding `name` = `size` zero bytes, built without holding them."""
    header = tarfile.TarInfo(name)
    header.size = size
    header.mode = 0o644
    head = header.tobuf(format=tarfile.PAX_FORMAT)
    pad = (512 - size % 512) % 512
    tail = b"\0" * pad + b"\0" * 1024
    raw_hash = __import__("hashlib").sha256()
    out = io.BytesIO()
    gz = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * MIB
    for part in [head] + [None] * (size // MIB) + [b"\0" * (size % MIB), tail]:
        data = chunk if part is None else part
        raw_hash.update(data)
        out.write(gz.compress(data))
    out.write(gz.flush())
    return out.getvalue(), "sha256:" + raw_hash.hexdigest()


def image_with_layer(layer: bytes, diff_id: str) -> ImageBuild:
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {}},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    config_raw = canonical_json(config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": {
            "mediaType": mt.OCI_CONFIG,
            "digest": sha256_digest(config_raw),
            "size": len(config_raw),
        },
        "layers": [
            {"mediaType": mt.OCI_LAYER_GZIP, "digest": sha256_digest(layer), "size": len(layer)}
        ],
    }
    return ImageBuild(
        manifest, config, {sha256_digest(layer): layer, sha256_digest(config_raw): config_raw}
    )


class Workspace:
    """A local registry, a key pair, and policies, in one temporary directory."""

    def __init__(self, root: Path):
        self.root = root
        self.registry = LocalRegistry(root / "registry", free_port())
        self.registry.start()
        self.signer = Signer.generate()
        self.public = root / "cosign.pub"
        self.public.write_text(self.signer.public_pem)
        self.sync = SyncRegistry(insecure=[self.registry.host])
        self.publisher = Publisher(self.sync)

    def close(self) -> None:
        self.sync.close()
        self.registry.stop()

    def publish(self, repo: str, build: ImageBuild) -> str:
        """Publish `build` signed and attested, as a build would (the kit's one publish);
        only the image's content is hostile, so the path up to the layer is the normal one."""
        predicate = {"buildType": "x", "builder": {"id": "x"}, "materials": []}
        ref = self.publisher.publish(
            parse_reference(f"{self.registry.host}/{repo}:v1"),
            image=build,
            signer=self.signer,
            attestations=[("https://slsa.dev/provenance/v0.2", predicate)],
        )
        return str(ref)

    def files_policy(self, name: str, paths: list[str]) -> Path:
        rules = self.root / f"rules-{name}"
        rules.mkdir()
        (rules / "bench.rego").write_text(
            FILES_RULE.replace("PATHS", ", ".join(json.dumps(p) for p in paths))
        )
        policy = self.root / f"policy-{name}.json"
        policy.write_text(json.dumps({"sources": [{"policy": [str(rules)]}]}))
        return policy

    def validate_image(self, ref: str, policy: Path, args: argparse.Namespace) -> dict:
        return measure(
            konflux(
                "validate",
                "image",
                "--image",
                ref,
                "--policy",
                str(policy),
                "--public-key",
                str(self.public),
                "--ignore-rekor",
                "--output",
                "json",
                "--retry-max-retry",
                "0",
                "--timeout",
                str(args.timeout),
            ),
            args.timeout + 30,
            args.max_memory,
        )


# -- scenarios ---------------------------------------------------------------------------------


def yaml_bomb(ws: Workspace, args: argparse.Namespace) -> dict:
    bomb = ws.root / "bomb.yaml"
    bomb.write_bytes(BOMB)
    policy = Path(__file__).resolve().parents[1] / "examples" / "policy.yaml"
    return measure(
        konflux("validate", "input", str(bomb), "--policy", str(policy)),
        args.timeout,
        args.max_memory,
    )


def image_files_bomb(ws: Workspace, args: argparse.Namespace) -> dict:
    ref = ws.publish("bomb", build_image({"bomb.yaml": BOMB}))
    return ws.validate_image(ref, ws.files_policy("bomb", ["bomb.yaml"]), args)


def layer(size: int, wanted: str) -> Any:
    """A layer of `size` zeros at big.yaml; the policy reads `wanted` from the image."""

    def run(ws: Workspace, args: argparse.Namespace) -> dict:
        data, diff_id = zero_layer("big.yaml", size)
        ref = ws.publish(f"zeros{size}", image_with_layer(data, diff_id))
        out = ws.validate_image(ref, ws.files_policy(f"z{size}", [wanted]), args)
        return {"layer_bytes": len(data), **out}

    return run


def huge_sig(ws: Workspace, args: argparse.Namespace) -> dict:
    ref = ws.publish("hugesig", build_image({"a": b"a"}))
    loop = LoopThread()
    front = FaultProxy(f"http://{ws.registry.host}", free_port())
    loop.run(front.start())
    # Every `.sig` manifest GET is answered with 512 MiB, streamed.
    front.inject("endless", path_part=".sig", method="GET")
    try:
        fronted = ref.replace(ws.registry.host, front.host)
        return {
            **ws.validate_image(fronted, ws.files_policy("sig", []), args),
            "streamed_mib": front.streamed // MIB,
        }
    finally:
        loop.run(front.stop())
        loop.stop()


def webhook_slow(ws: Workspace, args: argparse.Namespace) -> dict:
    certs = ws.root / "certs"
    subprocess.run(
        konflux(
            "webhook", "certs", "--out", str(certs), "--dns", "localhost", "--dns", "127.0.0.1"
        ),
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        konflux(
            "webhook",
            "serve",
            "--tls-cert",
            str(certs / "tls.crt"),
            "--tls-key",
            str(certs / "tls.key"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "KUBECONFIG"},
    )
    context = ssl.create_default_context(cafile=str(certs / "ca.crt"))

    def connect() -> ssl.SSLSocket:
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        return context.wrap_socket(raw, server_hostname="localhost")

    def healthz() -> bool:
        try:
            with connect() as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                return s.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    try:
        for _ in range(300):
            if healthz():
                break
            time.sleep(0.1)
        body_len, sent = 3_000_000, 2_900_000
        stalled = []
        start = time.perf_counter()
        for _ in range(50):
            s = connect()
            s.sendall(
                b"POST /validate-application HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: application/json\r\n"
                + f"Content-Length: {body_len}\r\n\r\n".encode()
            )
            s.sendall(b" " * sent)
            stalled.append(s)
        headers_only = []
        for _ in range(300):
            s = connect()
            s.sendall(b"POST /validate-application HTTP/1.1\r\nHost: loc")
            headers_only.append(s)
        answered = healthz()
        all_closed = None
        while time.perf_counter() - start < 20:
            if all_closed is None and not any(_still_open(s, 0.01) for s in stalled):
                all_closed = round(time.perf_counter() - start, 1)
            time.sleep(0.5)
        open_after = sum(1 for s in stalled if _still_open(s))
        headers_open_after = sum(1 for s in headers_only if _still_open(s))
        status = Path(f"/proc/{server.pid}/status").read_text()
        peak = next(int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmHWM"))
        for s in stalled + headers_only:
            s.close()
        return {
            "peak_rss_mib": round(peak / 1024, 1),
            "stalled_bodies_all_closed_after_s": all_closed or "not within 20 s",
            "stalled_bodies_open_after_20s": f"{open_after}/50",
            "stalled_headers_open_after_20s": f"{headers_open_after}/300",
            "healthz_answered_while_stalled": answered,
        }
    finally:
        server.terminate()
        server.wait(30)


def _still_open(s: ssl.SSLSocket, wait: float = 0.2) -> bool:
    """Whether the server still holds `s` open (an answer followed by a close counts as closed)."""
    s.settimeout(wait)
    try:
        while s.recv(65536):
            pass
        return False
    except TimeoutError:
        return True  # nothing more to read, and not closed
    except OSError:
        return False


SCENARIOS = {
    "webhook-slow": webhook_slow,
    "yaml-bomb": yaml_bomb,
    "image-files-bomb": image_files_bomb,
    "layer-128m": layer(128 * MIB, "big.yaml"),
    "layer-1g": layer(1024 * MIB, "etc/os-release"),  # walked through, never kept
    "huge-sig": huge_sig,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument("--max-memory-gib", type=float, default=6.0)
    args = parser.parse_args()
    args.max_memory = int(args.max_memory_gib * 1024 * MIB)
    with tempfile.TemporaryDirectory(prefix="konflux-hostile-") as tmp:
        ws = Workspace(Path(tmp))
        try:
            for name in args.only.split(","):
                result = SCENARIOS[name](ws, args)
                print(json.dumps({"scenario": name, **result}), flush=True)
        finally:
            ws.close()


if __name__ == "__main__":
    main()
