"""Optional transparency-log upload (`transparency.enabled`), against a stand-in Rekor: an
HTTP server answering `POST /api/v1/log/entries` with entries whose SET is signed by a log
key we hold (no public log is reachable here). The signer attaches the bundles, and
`konflux validate image` verifies them with that log key; a log that fails is a signing
failure, never a silent unlogged signature."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from click.testing import CliRunner

from konflux.cli.main import cli
from konflux.controllers.buildruns import finished_run
from konflux.controllers.chains.config import ChainsConfig
from konflux.controllers.chains.record import record_run
from konflux.controllers.chains.secrets import key_secrets
from konflux.controllers.chains.signing import RekorLog, RunSigner, SigningFailure, SigningKey
from konflux.engine.oci import RegistryClient
from konflux.engine.sigstore import LocalLog, generate_key_pair, load_private_key
from konflux.testing import free_port
from konflux.testing._simulate import ROOT, build_of, push_bundles, push_component


class StandInRekor:
    """Logs what it is sent (the stored body: the proposed entry without the envelope's
    payload) and answers as Rekor does."""

    def __init__(self, fail: bool = False) -> None:
        pair = generate_key_pair(b"")
        self.key = load_private_key(pair.private_pem, b"")
        self.public_pem = pair.public_pem
        self.log = LocalLog(self.key)
        self.entries: list[dict] = []
        self.fail = fail

    async def post(self, request: web.Request) -> web.Response:
        if self.fail:
            return web.Response(status=500, text="log unavailable")
        entry = await request.json()
        if entry.get("kind") == "intoto":
            entry["spec"]["content"]["envelope"].pop("payload", None)
        body = base64.b64encode(json.dumps(entry, separators=(",", ":")).encode()).decode()
        index = len(self.entries)
        self.entries.append(entry)
        bundle = self.log.bundle(body, log_index=index)
        answer = {
            f"uuid{index}": {
                "body": body,
                "integratedTime": bundle.integrated_time,
                "logID": bundle.log_id,
                "logIndex": index,
                "verification": {
                    "signedEntryTimestamp": base64.b64encode(bundle.signed_entry_timestamp).decode()
                },
            }
        }
        return web.json_response(answer, status=201)


def sign_with_log(host: str, rekor: StandInRekor) -> tuple[dict, bytes, list[str]]:
    pair = generate_key_pair(b"")
    key = SigningKey.from_secret(key_secrets("ns", "signing-secrets", pair, b"")[0], "test")

    async def work() -> tuple[dict, list[str]]:
        app = web.Application()
        app.router.add_post("/api/v1/log/entries", rekor.post)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with RegistryClient() as client, aiohttp.ClientSession() as http:
                bundles = await push_bundles(client, host)
                image, sbom = await push_component(client, host, "api")
                b = build_of("api", image, sbom, bundles, "api-on-push-1", "e" * 40)
                record = record_run(*finished_run(b, datetime(2026, 1, 5, tzinfo=UTC), "uid-t"))
                config = ChainsConfig.from_configmap({"transparency.enabled": "true"})
                signer = RunSigner(client, key, config, RekorLog(f"http://127.0.0.1:{port}", http))
                outcome = await signer.sign(record)
                spec = {
                    "components": [
                        {
                            "name": "api",
                            "containerImage": f"{image.context}@{image.digest}",
                            "source": {"git": {"url": b.git_url, "revision": b.commit}},
                        }
                    ]
                }
                return spec, outcome.transparency
        finally:
            await runner.cleanup()

    spec, urls = asyncio.run(work())
    return spec, pair.public_pem, urls


def test_signatures_and_attestations_carry_verifiable_log_bundles(registry, tmp_path: Path):
    rekor = StandInRekor()
    spec, public_pem, urls = sign_with_log(registry.host, rekor)
    # The signature and the attestation are logged concurrently: either may be entry 0.
    assert sorted(e["kind"] for e in rekor.entries) == ["hashedrekord", "intoto"]
    assert sorted(u.rsplit("=", 1)[1] for u in urls) == ["0", "1"]
    assert all("/api/v1/log/entries?logIndex=" in u for u in urls)
    (tmp_path / "images.json").write_text(json.dumps(spec))
    (tmp_path / "cosign.pub").write_bytes(public_pem)
    (tmp_path / "rekor.pub").write_bytes(rekor.public_pem)
    policy = json.dumps(
        {
            "sources": [
                {
                    "policy": [str(ROOT / "rego/release"), str(ROOT / "rego/lib")],
                    "data": [str(ROOT / "rego/data")],
                    "config": {"include": ["slsa_provenance_available"]},
                }
            ]
        }
    )
    args = ["validate", "image", "--images", str(tmp_path / "images.json"), "--policy", policy]
    args += ["--public-key", str(tmp_path / "cosign.pub")]
    # Bundles are checked (no --ignore-rekor) against the stand-in log's key.
    result = CliRunner().invoke(
        cli, [*args, "--rekor-public-key", str(tmp_path / "rekor.pub"), "-o", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["success"] is True, report
    # With another log key, the same bundles do not verify.
    other = generate_key_pair(b"")
    (tmp_path / "other.pub").write_bytes(other.public_pem)
    result = CliRunner().invoke(
        cli, [*args, "--rekor-public-key", str(tmp_path / "other.pub"), "-o", "json"]
    )
    assert json.loads(result.stdout)["success"] is False


def test_a_failing_log_fails_the_signing(registry):
    with pytest.raises(SigningFailure, match="HTTP 500"):
        sign_with_log(registry.host, StandInRekor(fail=True))
