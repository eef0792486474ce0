"""The signer as a kopf operator on the emulated API server, signing into a real registry:
it signs and attests once (across crashes and restarts), keeps what Tekton recorded when a
tenant edits its run afterwards, retries and then fails with a reason, and starts only
with its key."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from konflux.controllers import constants as c
from konflux.controllers.buildruns import Build, fake_digest, play_build
from konflux.controllers.chains.config import DEFAULT_NAMESPACE
from konflux.controllers.chains.operator import ChainsOptions
from konflux.controllers.errors import ControllerError
from konflux.controllers.objects import Obj, annotations_of, name_of
from konflux.controllers.operators import OperatorConfig
from konflux.engine.oci import ImageReference, RegistryClient, RetryPolicy, parse_reference
from konflux.engine.sigstore import (
    CheckOptions,
    KeyPair,
    generate_key_pair,
    load_public_key,
)
from konflux.engine.sigstore import cosign_layout as layout
from konflux.engine.sigstore.verify import (
    fetch_artifact_layers,
    verify_attestation_layers,
    verify_signature_layers,
)
from konflux.testing import LocalCluster
from konflux.testing._simulate import (
    TENANT,
    build_of,
    install_signer,
    push_bundles,
    push_component,
)

QUICK = RetryPolicy(max_retry=0, duration=0.01, max_wait=0.01)


class Crash(Exception):
    """Raised by a test observer to stop the signer at a chosen point, as a crash would."""


@dataclass
class World:
    cl: LocalCluster
    registry: RegistryClient
    host: str
    pair: KeyPair
    events: list[tuple[str, str]]

    def options(self, **kw: Any) -> OperatorConfig:
        observer = kw.pop("observer", None)

        def observe(event: str, run: Obj) -> None:
            self.events.append((event, name_of(run)))
            if observer is not None:
                observer(event, run)

        return OperatorConfig(
            only=("chains",),
            observer=observe,
            chains=ChainsOptions(backoff=0.05, registry_retry=QUICK),
            **kw,
        )

    def run(self, name: str, ns: str = TENANT) -> Obj:
        return next(r for r in self.cl.api.live(c.PIPELINE_RUN, ns) if name_of(r) == name)

    async def signed(self, name: str, value: str = "true", timeout: float = 20.0) -> Obj:
        await self.cl.wait_for(
            f"{name} signed={value}",
            lambda: annotations_of(self.run(name)).get(c.CHAINS_SIGNED_ANNOTATION) == value,
            timeout,
        )
        return self.run(name)

    async def build(self, name: str = "api", run: str = "api-on-push-1", **kw: Any) -> Build:
        image, sbom = await push_component(self.registry, self.host, name)
        bundles = await push_bundles(self.registry, self.host)
        b = build_of(name, image, sbom, bundles, run, "c" * 40)
        for key, value in kw.items():
            object.__setattr__(b, key, value)
        return b

    async def layers(self, image: ImageReference, suffix: str) -> list:
        return await fetch_artifact_layers(self.registry, image, suffix) or []

    def opts(self) -> CheckOptions:
        return CheckOptions(public_key=load_public_key(self.pair.public_pem), ignore_rekor=True)

    async def verified(self, image: ImageReference) -> tuple[int, list[dict]]:
        """(our signatures, our attestations' statements) on `image`."""
        sigs = verify_signature_layers(
            await self.layers(image, layout.SIGNATURE_SUFFIX), str(image.digest), self.opts()
        )
        atts = verify_attestation_layers(
            await self.layers(image, layout.ATTESTATION_SUFFIX), str(image.digest), self.opts()
        )
        return len(sigs.verified), [a.statement for a in atts.verified]


@asynccontextmanager
async def world(
    registry_host: str, fmt: str = "slsa/v1", extra: Obj | None = None
) -> AsyncIterator[World]:
    pair = generate_key_pair(b"")
    async with RegistryClient() as client, LocalCluster() as cl:
        await install_signer(cl, pair, fmt, extra)
        yield World(cl, client, registry_host, pair, [])


def image_of(b: Build) -> ImageReference:
    return parse_reference(f"{b.image_url.rsplit(':', 1)[0]}@{b.image_digest}")


def run_async(fn: Callable[[], Any]) -> None:
    asyncio.run(fn())


def test_signer_signs_and_attests_a_finished_build_then_annotates_it(registry):
    async def scenario() -> None:
        async with world(registry.host) as w:
            await w.cl.start(w.options())
            b = await w.build()
            await play_build(w.cl.client, b)
            run = await w.signed(b.name)
            assert c.CHAINS_FAILURE_ANNOTATION not in annotations_of(run)
            sigs, statements = await w.verified(image_of(b))
            assert sigs == 1 and len(statements) == 1
            statement = statements[0]
            assert statement["predicateType"] == "https://slsa.dev/provenance/v0.2"
            tasks = statement["predicate"]["buildConfig"]["tasks"]
            assert [t["name"] for t in tasks] == [
                "clone-repository",
                "build-container",
                "clair-scan",
            ]
            # The signer's state in its own namespace says signed, with the record.
            states = w.cl.api.live(c.CONFIG_MAP, DEFAULT_NAMESPACE)
            state = next(s for s in states if s["metadata"]["name"].startswith("pr-"))
            assert state["data"]["phase"] == "signed"
            assert ("chains-signed", b.name) in w.events

    run_async(scenario)


def test_running_and_failed_runs_are_not_signed(registry):
    async def scenario() -> None:
        async with world(registry.host) as w:
            await w.cl.start(w.options())
            b = await w.build()
            from konflux.controllers.buildruns import pipelinerun

            await w.cl.client.create(c.PIPELINE_RUN, pipelinerun(b))  # running
            failed = await w.build(run="api-on-push-2")
            body = pipelinerun(failed)
            body["status"] = {"conditions": [{"type": "Succeeded", "status": "False"}]}
            await w.cl.client.create(c.PIPELINE_RUN, body)
            await asyncio.sleep(0.5)
            for name in (b.name, failed.name):
                assert c.CHAINS_SIGNED_ANNOTATION not in annotations_of(w.run(name))
            assert await w.verified(image_of(b)) == (0, [])

    run_async(scenario)


def test_a_crash_after_the_push_signs_exactly_once_after_restart(registry):
    async def scenario() -> None:
        async with world(registry.host) as w:

            def crash(event: str, run: Obj) -> None:
                if event == "chains-pushed":
                    raise Crash("killed between push and annotation")

            await w.cl.start(w.options(observer=crash))
            b = await w.build()
            await play_build(w.cl.client, b)
            await w.cl.wait_for("the push", lambda: ("chains-pushed", b.name) in w.events)
            await asyncio.sleep(0.2)
            # Pushed, but no annotation: it is never written before the push is done, and
            # here the process died right after it.
            assert c.CHAINS_SIGNED_ANNOTATION not in annotations_of(w.run(b.name))
            await w.cl.stop()
            await w.cl.start(w.options())
            await w.signed(b.name)
            await w.cl.stop()
            await w.cl.start(w.options())  # and once more, already signed
            await asyncio.sleep(0.5)
            sigs, statements = await w.verified(image_of(b))
            assert sigs == 1 and len(statements) == 1
            assert len(await w.layers(image_of(b), layout.SIGNATURE_SUFFIX)) == 1
            assert len(await w.layers(image_of(b), layout.ATTESTATION_SUFFIX)) == 1

    run_async(scenario)


def test_a_removed_annotation_is_restored_without_signing_again(registry):
    async def scenario() -> None:
        async with world(registry.host) as w:
            await w.cl.start(w.options())
            b = await w.build()
            await play_build(w.cl.client, b)
            await w.signed(b.name)
            pushed = [e for e in w.events if e[0] == "chains-pushed"]
            patch = {"metadata": {"annotations": {c.CHAINS_SIGNED_ANNOTATION: None}}}
            await w.cl.client.patch(c.PIPELINE_RUN, TENANT, b.name, patch)
            await w.signed(b.name)
            assert [e for e in w.events if e[0] == "chains-pushed"] == pushed
            assert len(await w.layers(image_of(b), layout.ATTESTATION_SUFFIX)) == 1

    run_async(scenario)


def test_results_edited_after_completion_are_not_what_gets_signed(registry):
    """The record is taken at the first observation of the finished run; the tenant's
    later edit of the run's results (here between recording and signing, and again after
    signing with the annotation removed) changes nothing the signer signs."""

    async def scenario() -> None:
        async with world(registry.host) as w:

            def crash(event: str, run: Obj) -> None:
                if event == "chains-signing":  # every attempt until the restart
                    raise Crash("stopped after recording, before signing")

            await w.cl.start(w.options(observer=crash))
            b = await w.build()
            other, _ = await push_component(w.registry, w.host, "web")  # the tenant's pick
            await play_build(w.cl.client, b)
            await w.cl.wait_for("the record", lambda: ("chains-recorded", b.name) in w.events)
            await w.cl.stop()
            assert await w.verified(image_of(b)) == (0, [])  # recorded, nothing signed yet

            tampered = [
                {"name": "IMAGE_URL", "value": f"{other.context}:v1"},
                {"name": "IMAGE_DIGEST", "value": str(other.digest)},
            ]
            await w.cl.client.patch(
                c.PIPELINE_RUN, TENANT, b.name, {"status": {"results": tampered}}, status=True
            )
            await w.cl.start(w.options())
            await w.signed(b.name)
            # Signed: what Tekton recorded. Not: the tenant's image.
            sigs, statements = await w.verified(image_of(b))
            assert sigs == 1 and len(statements) == 1
            assert statements[0]["subject"][0]["digest"]["sha256"] == b.image_digest[7:]
            assert await w.verified(other) == (0, [])

            # After signing: edit again and drop the annotation to get a new signature.
            await w.cl.client.patch(
                c.PIPELINE_RUN,
                TENANT,
                b.name,
                {"metadata": {"annotations": {c.CHAINS_SIGNED_ANNOTATION: None}}},
            )
            await w.signed(b.name)
            assert await w.verified(other) == (0, [])

    run_async(scenario)


def test_signing_failures_are_retried_then_the_run_is_marked_failed_with_a_reason(registry):
    from konflux.testing import free_port

    async def scenario() -> None:
        async with world(registry.host, extra={"signing.max-retries": "2"}) as w:
            await w.cl.start(w.options())
            b = await w.build()
            dead = f"127.0.0.1:{free_port()}"  # nothing listens there
            b = Build(**{**b.__dict__, "image_url": f"{dead}/org/api:v1", "name": "api-dead"})
            await play_build(w.cl.client, b)
            run = await w.signed(b.name, "failed")
            ann = annotations_of(run)
            assert ann[c.CHAINS_RETRIES_ANNOTATION] == "3"
            assert dead in ann[c.CHAINS_FAILURE_ANNOTATION]
            assert ("chains-pushed", b.name) not in w.events
            assert ("chains-failed", b.name) in w.events

    run_async(scenario)


def test_a_build_naming_too_many_images_fails_without_pushing(registry):
    async def scenario() -> None:
        async with world(registry.host, extra={"signing.max-retries": "0"}) as w:
            await w.cl.start(w.options())
            b = await w.build()
            many = ",".join(f"{w.host}/org/x@{fake_digest(str(i))}" for i in range(101))
            b = Build(**{**b.__dict__, "extra_results": [{"name": "IMAGES", "value": many}]})
            await play_build(w.cl.client, b)
            run = await w.signed(b.name, "failed")
            assert "at most 100" in annotations_of(run)[c.CHAINS_FAILURE_ANNOTATION]
            assert await w.verified(image_of(b)) == (0, [])

    run_async(scenario)


def test_a_pipelinerun_whose_taskrun_is_gone_is_not_signed(registry):
    async def scenario() -> None:
        async with world(registry.host) as w:
            b = await w.build()
            from konflux.controllers.buildruns import finished_status, pipelinerun

            body = pipelinerun(b)
            from datetime import UTC, datetime

            body["status"] = finished_status(b, datetime.now(UTC))
            await w.cl.client.create(c.PIPELINE_RUN, body)  # its TaskRuns never existed
            await w.cl.start(w.options())
            run = await w.signed(b.name, "failed")
            assert "is missing" in annotations_of(run)[c.CHAINS_FAILURE_ANNOTATION]
            assert await w.verified(image_of(b)) == (0, [])

    run_async(scenario)


def test_a_standalone_taskrun_is_signed_with_its_own_provenance(registry):
    async def scenario() -> None:
        async with world(registry.host) as w:
            await w.cl.start(w.options())
            b = await w.build()
            from datetime import UTC, datetime

            from konflux.controllers.buildruns import taskruns

            tr = taskruns(b, datetime.now(UTC))[1]  # the buildah TaskRun, on its own
            del tr["metadata"]["labels"][c.TEKTON_PIPELINE_RUN_LABEL]
            await w.cl.client.create(c.TASK_RUN, tr)
            name = tr["metadata"]["name"]
            await w.cl.wait_for(
                "the TaskRun signed",
                lambda: any(
                    annotations_of(t).get(c.CHAINS_SIGNED_ANNOTATION) == "true"
                    for t in w.cl.api.live(c.TASK_RUN, TENANT)
                    if name_of(t) == name
                ),
            )
            sigs, statements = await w.verified(image_of(b))
            assert sigs == 1
            assert statements[0]["predicate"]["buildType"] == "tekton.dev/v1/TaskRun"

    run_async(scenario)


def test_the_signer_does_not_start_without_its_key():
    async def scenario() -> None:
        async with LocalCluster() as cl:
            with pytest.raises(ControllerError, match="konflux key generate --secret"):
                await cl.start(OperatorConfig(only=("chains",)))

    run_async(scenario)


def test_the_signer_refuses_a_key_and_public_key_that_do_not_match():
    async def scenario() -> None:
        async with LocalCluster() as cl:
            pair, other = generate_key_pair(b""), generate_key_pair(b"")
            await install_signer(cl, pair)
            patch = {"data": {"cosign.pub": base64.b64encode(other.public_pem).decode()}}
            await cl.client.patch(c.SECRET, DEFAULT_NAMESPACE, "signing-secrets", patch)
            with pytest.raises(ControllerError, match=r"not the public key of cosign\.key"):
                await cl.start(OperatorConfig(only=("chains",)))

    run_async(scenario)


def test_an_unknown_chains_config_key_stops_the_signer_with_its_name():
    async def scenario() -> None:
        async with LocalCluster() as cl:
            await install_signer(cl, generate_key_pair(b""), extra={"artifacts.oci.strage": "oci"})
            with pytest.raises(
                ControllerError, match=r"chains-config: unknown key 'artifacts.oci.strage'"
            ):
                await cl.start(OperatorConfig(only=("chains",)))

    run_async(scenario)


def test_slsa_v1_format_is_selected_by_chains_config(registry):
    async def scenario() -> None:
        async with world(registry.host, fmt="slsa/v2alpha3") as w:
            await w.cl.start(w.options())
            b = await w.build()
            await play_build(w.cl.client, b)
            await w.signed(b.name)
            _, statements = await w.verified(image_of(b))
            assert statements[0]["predicateType"] == "https://slsa.dev/provenance/v1"
            deps = statements[0]["predicate"]["buildDefinition"]["resolvedDependencies"]
            contents = [json.loads(base64.b64decode(d["content"])) for d in deps if "content" in d]
            assert [t["metadata"]["labels"][c.TEKTON_PIPELINE_TASK_LABEL] for t in contents] == [
                "clone-repository",
                "build-container",
                "clair-scan",
            ]

    run_async(scenario)
