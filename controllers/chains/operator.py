"""The signer's Kubernetes edge: kopf handlers over PipelineRuns and TaskRuns.

Handlers only read (the run, its TaskRuns, the signer's state ConfigMap), call the pure
`state.decide`, and act: store the record, sign (`signing`), write the state, annotate
the run. They are level-triggered like the other operators, so a restart reconciles
every finished run again, and the state makes that harmless. Failures are retried with
exponential backoff up to `max_retries`; the count is in the state and in
`chains.tekton.dev/retries`, and the last failure ends as `chains.tekton.dev/signed:
"failed"` with `chains.tekton.dev/failure-reason`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import kopf

from konflux.controllers import constants as c
from konflux.controllers.chains import state as st
from konflux.controllers.chains.config import (
    CONFIG_MAP_NAME,
    SIGNING_SECRET_NAME,
    ChainsConfig,
    ChainsOptions,
)
from konflux.controllers.chains.record import (
    RecordError,
    child_taskruns,
    record_run,
    succeeded,
    taskrun_complete,
)
from konflux.controllers.chains.signing import RekorLog, RunSigner, SigningKey, SigningOutcome
from konflux.controllers.errors import ConfigurationError, ControllerError
from konflux.controllers.objects import Obj, labels_of, name_of, namespace_of
from konflux.engine.errors import KonfluxError
from konflux.engine.oci import RegistryClient
from konflux.kube.client import KubeClient
from konflux.kube.errors import KubeError
from konflux.kube.resources import Resource

logger = logging.getLogger("konflux.controllers.chains")


class Signer:
    """The running signer: its key, configuration, registry client and retry timers."""

    def __init__(
        self,
        kube: KubeClient,
        options: ChainsOptions,
        key: SigningKey,
        config: ChainsConfig,
        observer: Callable[[str, Obj], None] | None = None,
    ) -> None:
        self.kube, self.options, self.key, self.config = kube, options, key, config
        self.observer = observer
        self._locks: dict[str, asyncio.Lock] = {}
        # Runs in a final phase (signed/failed), by uid: their state cannot change any
        # more, so events of them (and of their TaskRuns) need no API read.
        self._final: dict[str, st.SignerState] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: RegistryClient | None = None
        self._http: aiohttp.ClientSession | None = None
        self._signer: RunSigner | None = None

    @classmethod
    async def load(
        cls,
        kube: KubeClient,
        options: ChainsOptions,
        observer: Callable[[str, Obj], None] | None = None,
    ) -> Signer:
        """Read the key (Secret `signing-secrets`) and `chains-config` from the signer's
        namespace; a missing or unusable key is a ControllerError saying what to do."""
        ns = options.namespace
        secret = await kube.get(c.SECRET, ns, SIGNING_SECRET_NAME)
        if secret is None:
            raise ControllerError(
                f"no Secret {ns}/{SIGNING_SECRET_NAME}: create it with "
                f"`konflux key generate --secret {ns}/{SIGNING_SECRET_NAME}` and apply it"
            )
        try:
            key = SigningKey.from_secret(secret, f"Secret {ns}/{SIGNING_SECRET_NAME}")
        except KonfluxError as exc:
            raise ControllerError(str(exc)) from exc
        configmap = await kube.get(c.CONFIG_MAP, ns, CONFIG_MAP_NAME)
        try:
            config = ChainsConfig.from_configmap((configmap or {}).get("data"))
        except ConfigurationError as exc:
            raise ControllerError(f"ConfigMap {ns}/{exc}") from exc
        return cls(kube, options, key, config, observer)

    def _run_signer(self) -> RunSigner:
        if self._signer is None:
            self._client = RegistryClient(
                insecure=self.options.insecure_registries, retry=self.options.registry_retry
            )
            rekor = None
            if self.config.transparency:
                self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
                rekor = RekorLog(self.config.transparency_url, self._http)
            self._signer = RunSigner(self._client, self.key, self.config, rekor)
        return self._signer

    async def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for task in self._tasks:
            task.cancel()
        if self._client is not None:
            await self._client.close()
        if self._http is not None:
            await self._http.close()

    def _notify(self, event: str, run: Obj) -> None:
        if self.observer is not None:
            self.observer(event, run)

    # --- reconciling ---------------------------------------------------------------------

    async def reconcile(self, resource: Resource, run: Obj) -> None:
        uid = str((run.get("metadata") or {}).get("uid", ""))
        lock = self._locks.setdefault(uid, asyncio.Lock())
        try:
            async with lock:
                await self._reconcile(resource, run)
        except (KubeError, aiohttp.ClientError, TimeoutError) as exc:
            # The API server, not the signing, failed: try again later (not a signing
            # failure, so no retry is counted against the run).
            delay = self.options.backoff
            logger.warning("reconciling %s: %s; again in %.1fs", st.describe(run), exc, delay)
            self._later(delay, resource, namespace_of(run), name_of(run))
        finally:
            if not lock.locked():
                self._locks.pop(uid, None)

    def is_final(self, uid: str) -> bool:
        return uid in self._final

    async def _reconcile(self, resource: Resource, run: Obj) -> None:
        if not succeeded(run):
            return
        ns = self.options.namespace
        state = self._final.get(str((run.get("metadata") or {}).get("uid", "")))
        if state is None:
            found = await self.kube.get(c.CONFIG_MAP, ns, st.state_name(run))
            state = st.SignerState.parse(found) if found else None
            if state is not None and state.phase in (st.PHASE_SIGNED, st.PHASE_FAILED):
                self._remember(run, state)
        action = st.decide(run, state)
        if action is st.Action.SKIP:
            return
        if action is st.Action.MARK:
            assert state is not None
            # The event may predate our own annotation: look at the run as it is now.
            fresh = await self.kube.get(resource, namespace_of(run), name_of(run))
            if fresh is not None and st.decide(fresh, state) is st.Action.MARK:
                await self._annotate(resource, run, st.final_patch(state))
            return
        if action is st.Action.RECORD:
            state = await self._record(resource, run)
            if state is None or state.phase != st.PHASE_RECORDED:
                return
            self._notify("chains-recorded", run)
        assert state is not None and state.record is not None
        self._notify("chains-signing", run)
        try:
            outcome = await self._run_signer().sign(state.record)
        except (KonfluxError, OSError, TimeoutError) as exc:
            await self._failed(resource, run, state, str(exc))
            return
        self._notify("chains-pushed", run)
        await self.kube.patch(
            c.CONFIG_MAP, ns, state.name, st.phase_patch(st.PHASE_SIGNED, state.retries)
        )
        signed = st.SignerState(state.name, st.PHASE_SIGNED, state.retries, "", state.record)
        await self._annotate(resource, run, st.final_patch(signed, _transparency(outcome)))
        self._remember(run, signed)
        logger.info(
            "signed %s: %d signature(s) and %d attestation(s) pushed, %d already present",
            st.describe(run),
            outcome.signatures_pushed,
            outcome.attestations_pushed,
            outcome.signatures_present + outcome.attestations_present,
        )
        self._notify("chains-signed", run)

    async def _record(self, resource: Resource, run: Obj) -> st.SignerState | None:
        """Store the record at first observation; the stored state (ours or a racing one)."""
        ns = namespace_of(run)
        taskruns = []
        for name in child_taskruns(run):
            found = await self.kube.get(c.TASK_RUN, ns, name)
            if found is not None:
                if not taskrun_complete(found):
                    return None  # its completion event brings us back
                taskruns.append(found)
        try:
            record = record_run(run, taskruns)
            body = st.state_body(run, self.options.namespace, record)
        except RecordError as exc:
            # A TaskRun gone before the run could be recorded: the record would be
            # incomplete (it could hide a failed task), so this run is not signed.
            reason = st.short_reason(f"cannot record {st.describe(run)}: {exc}")
            failed = st.SignerState(st.state_name(run), st.PHASE_FAILED, 0, reason, None)
            await self._annotate(resource, run, st.final_patch(failed))
            logger.warning("%s", reason)
            return None
        created = await self.kube.create(c.CONFIG_MAP, body)
        if created is None:  # recorded meanwhile (another event of the same run)
            found = await self.kube.get(c.CONFIG_MAP, self.options.namespace, st.state_name(run))
            return st.SignerState.parse(found) if found else None
        return st.SignerState.parse(body)

    async def _failed(self, resource: Resource, run: Obj, state: st.SignerState, why: str) -> None:
        retries = state.retries + 1
        reason = st.short_reason(why)
        ns = self.options.namespace
        if retries > self.config.max_retries:
            await self.kube.patch(
                c.CONFIG_MAP, ns, state.name, st.phase_patch(st.PHASE_FAILED, retries, reason)
            )
            failed = st.SignerState(state.name, st.PHASE_FAILED, retries, reason, state.record)
            await self._annotate(resource, run, st.final_patch(failed))
            self._remember(run, failed)
            logger.warning("signing %s failed for good: %s", st.describe(run), reason)
            self._notify("chains-failed", run)
            return
        await self.kube.patch(
            c.CONFIG_MAP, ns, state.name, st.phase_patch(st.PHASE_RECORDED, retries, reason)
        )
        await self._annotate(resource, run, st.retry_patch(retries))
        delay = st.backoff(retries, self.options.backoff)
        logger.warning(
            "signing %s failed (attempt %d), retrying in %.1fs: %s",
            st.describe(run),
            retries,
            delay,
            reason,
        )
        self._later(delay, resource, namespace_of(run), name_of(run))

    def _later(self, delay: float, resource: Resource, ns: str, name: str) -> None:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.discard(handle)
            task = loop.create_task(self._retry(resource, ns, name))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        handle = loop.call_later(delay, fire)
        self._timers.add(handle)

    async def _retry(self, resource: Resource, ns: str, name: str) -> None:
        try:
            run = await self.kube.get(resource, ns, name)
            if run is not None:
                await self.reconcile(resource, run)
        except Exception:  # a retry timer has no caller to report to
            logger.exception("retrying %s %s/%s", resource.kind, ns, name)

    def _remember(self, run: Obj, state: st.SignerState) -> None:
        uid = str((run.get("metadata") or {}).get("uid", ""))
        self._final[uid] = st.SignerState(
            state.name, state.phase, state.retries, state.reason, None
        )

    async def _annotate(self, resource: Resource, run: Obj, patch: Obj) -> None:
        await self.kube.patch(resource, namespace_of(run), name_of(run), patch)

    async def forget(self, run: Obj) -> None:
        """The run was deleted: drop its state."""
        self._final.pop(str((run.get("metadata") or {}).get("uid", "")), None)
        await self.kube.delete(c.CONFIG_MAP, self.options.namespace, st.state_name(run))


def _transparency(outcome: SigningOutcome) -> dict[str, str]:
    if not outcome.transparency:
        return {}
    return {c.CHAINS_TRANSPARENCY_ANNOTATION: outcome.transparency[0]}


def register(registry: kopf.OperatorRegistry, signer: Signer) -> None:
    """The signer's handlers: every v1 PipelineRun, and TaskRuns (alone, or completing a
    PipelineRun's record)."""

    def on(resource: Resource) -> Any:
        return kopf.on.event(
            resource.group,
            resource.version,
            resource.plural,
            registry=registry,
            id=f"chains-{resource.kind.lower()}",
        )

    @on(c.PIPELINE_RUN)
    async def on_pipelinerun(type: str | None, body: Any, **_: Any) -> None:
        run = dict(body)
        if type == "DELETED":
            await signer.forget(run)
        else:
            await signer.reconcile(c.PIPELINE_RUN, run)

    @on(c.TASK_RUN)
    async def on_taskrun(type: str | None, body: Any, **_: Any) -> None:
        taskrun = dict(body)
        parent = labels_of(taskrun).get(c.TEKTON_PIPELINE_RUN_LABEL)
        if parent:
            # Part of a PipelineRun: signed with it. Its completion may be what the
            # PipelineRun's record was waiting for.
            owners = (taskrun.get("metadata") or {}).get("ownerReferences") or []
            if any(signer.is_final(str(o.get("uid"))) for o in owners):
                return  # its PipelineRun is signed (or failed) already
            if type != "DELETED" and taskrun_complete(taskrun):
                run = await signer.kube.get(c.PIPELINE_RUN, namespace_of(taskrun), parent)
                if run is not None:
                    await signer.reconcile(c.PIPELINE_RUN, run)
        elif type == "DELETED":
            await signer.forget(taskrun)
        elif signer.config.taskrun_storage or signer.config.oci_storage:
            await signer.reconcile(c.TASK_RUN, taskrun)
