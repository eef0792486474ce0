"""`konflux controllers run --only chains` as a real process, against the TLS API test server
with client-certificate auth (the signer's own identity) and a real registry: it signs a
build; without its key, or without the right to read it, it stops and says why."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from konflux.controllers import constants as c
from konflux.controllers.buildruns import play_build
from konflux.controllers.chains.config import DEFAULT_NAMESPACE
from konflux.controllers.chains.secrets import key_secrets
from konflux.controllers.objects import annotations_of, name_of
from konflux.engine.oci import RegistryClient
from konflux.engine.sigstore import generate_key_pair
from konflux.kube.client import KubeClient
from konflux.kube.config import load_config
from konflux.testing import SIGNER_RESOURCES
from konflux.testing._simulate import TENANT, build_of, push_bundles, push_component
from tests.fixtures.kube_api import TlsApiServer
from tests.kube.test_kube_operators import controllers_run, data_kubeconfig, wait_for

SIGNER = "system:serviceaccount:konflux-chains:konflux-chains"


def test_controllers_run_only_chains_signs_over_tls(kube_pki, registry, tmp_path):
    async def main() -> None:
        async with TlsApiServer(kube_pki) as server, RegistryClient() as oci:
            server.api.declare(SIGNER_RESOURCES)
            kc = data_kubeconfig(tmp_path / "kc", kube_pki, server, SIGNER)
            admin = load_config(data_kubeconfig(tmp_path / "admin", kube_pki, server, "admin"))
            async with KubeClient(admin) as client:
                for secret in key_secrets(
                    DEFAULT_NAMESPACE, "signing-secrets", generate_key_pair(b""), b""
                ):
                    await client.create(c.SECRET, secret)
            proc = await controllers_run(
                kc,
                "chains",
                tmp_path,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            try:
                image, sbom = await push_component(oci, registry.host, "api")
                bundles = await push_bundles(oci, registry.host)
                build = build_of("api", image, sbom, bundles, "api-on-push-1", "a" * 40)
                async with KubeClient(admin) as client:
                    await play_build(client, build)

                def signed() -> Any:
                    if proc.returncode is not None:
                        raise AssertionError(f"the signer exited with {proc.returncode}")
                    return any(
                        annotations_of(r).get(c.CHAINS_SIGNED_ANNOTATION) == "true"
                        for r in server.api.live(c.PIPELINE_RUN, TENANT)
                        if name_of(r) == build.name
                    )

                await wait_for("the run signed", signed)
            finally:
                proc.send_signal(signal.SIGINT)
                output, _ = await asyncio.wait_for(proc.communicate(), 30)
            ours = [s for s in server.seen if s.user == SIGNER]
            verbs = {(s.verb, s.path.rsplit("/", 1)[-1]) for s in ours}
            assert ("get", "signing-secrets") in verbs, output.decode()[-2000:]
            assert ("watch", "pipelineruns") in verbs  # kopf, as the signer
            assert ("patch", build.name) in verbs  # our client: the annotation
            assert {s.via for s in ours} == {"x509"}

    asyncio.run(main())


def signer_start_error(kube_pki, tmp_path, *, deny_secrets: bool = False) -> str:
    """Start the signer over TLS with nothing installed (or denied its Secret): its exit
    must be 1 with a message, never a traceback; the message."""

    async def main() -> str:
        async with TlsApiServer(kube_pki) as server:
            server.api.declare(SIGNER_RESOURCES)
            if deny_secrets:
                server.deny(SIGNER, "get", "secrets")
            kc = data_kubeconfig(tmp_path / "kc", kube_pki, server, SIGNER)
            pipes = {"stdout": asyncio.subprocess.PIPE, "stderr": asyncio.subprocess.PIPE}
            proc = await controllers_run(kc, "chains", tmp_path, **pipes)
            _, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 1
            assert "Traceback" not in err.decode()
            return err.decode()

    return asyncio.run(main())


def test_the_signer_stops_with_the_permission_it_lacks(kube_pki, tmp_path):
    text = signer_start_error(kube_pki, tmp_path, deny_secrets=True)
    assert 'cannot get secrets "signing-secrets" in namespace "konflux-chains"' in text
    assert "needs get on secrets" in text


def test_the_signer_without_its_key_says_how_to_make_it(kube_pki, tmp_path):
    text = signer_start_error(kube_pki, tmp_path)
    assert "konflux key generate --secret konflux-chains/signing-secrets" in text
