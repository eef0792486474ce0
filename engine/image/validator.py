"""`validate image`: fetch, verify and evaluate every component of a Snapshot.

Two phases, both bounded by `workers`:
1. gather — per component: access check, digest resolution, config and parent
   config, image signature verification, attestation verification, syntax
   check (all I/O through one registry client);
2. evaluate — per component that got that far: the policy on the input `ec`
   would build, through one prepared policy whose engines the threads share.
The effective time `attestation` (latest build finish over all attestations)
is known only after phase 1, which is why the policy is prepared in phase 2.
Never pass on error: every check that could not complete is a violation.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from konflux.engine.errors import KonfluxError, PolicySchemaError, SourceError
from konflux.engine.evaluation import PolicyEvaluator, Settings
from konflux.engine.image.builtins import registry_builtins
from konflux.engine.image.checks import (
    NO_MATCHING_ATTESTATIONS,
    SILENT_WHEN_PASSED,
    CheckOutcome,
)
from konflux.engine.image.files import image_files
from konflux.engine.image.input import (
    ImageFacts,
    attestation_summary,
    attestation_time,
    policy_input,
)
from konflux.engine.image.snapshot import Component, Snapshot
from konflux.engine.oci import ImageReference, SyncRegistry, parse_reference
from konflux.engine.policy.spec import Policy
from konflux.engine.progress import NO_PROGRESS, Progress
from konflux.engine.report import Outcome, Report, Result, TargetReport
from konflux.engine.sigstore import (
    CheckOptions,
    read_attestations,
    verify_attestations,
    verify_image_signatures,
)
from konflux.engine.validate import reworded

log = logging.getLogger(__name__)

BASE_NAME = "org.opencontainers.image.base.name"
BASE_DIGEST = "org.opencontainers.image.base.digest"


@dataclass
class ImageCheckSettings:
    """How images are checked before the policy runs."""

    trust: CheckOptions | None  # None only with skip_image_sig_check and no attestations wanted
    key_pem: str = ""  # reported as the report's `key`
    keyless: bool = False
    skip_image_sig_check: bool = False
    skip_att_sig_check: bool = False  # attestations read but not verified (debugging only)
    effective_time_from_attestations: bool = False
    workers: int = 5


@dataclass
class Gathered:
    """What phase 1 learned about one component."""

    component: Component
    image: str = ""  # digest-pinned reference
    checks: list[CheckOutcome] = field(default_factory=list)
    facts: ImageFacts | None = None
    statements: list[dict[str, Any]] = field(default_factory=list)
    stop: Result | None = None  # a reason not to evaluate the policy (a violation)


class _Unreadable(KonfluxError):
    """The component's manifest could not be read when the Snapshot was expanded."""


def _check_error(result: Any) -> str | None:
    return None if result else str(getattr(result, "reason", "verification failed"))


class SnapshotValidator:
    """Validates Snapshots against one policy through one registry client."""

    def __init__(
        self,
        policy: Policy,
        settings: Settings,
        registry: SyncRegistry,
        checks: ImageCheckSettings,
    ):
        self.policy = policy
        self.settings = replace(
            settings, builtins={**registry_builtins(registry), **settings.builtins}
        )
        self.registry = registry
        self.checks = checks
        # container image -> its digest-pinned reference, or why its manifest could not be
        # read; filled by `expand`, so each reference is resolved once per run.
        self._resolved: dict[str, ImageReference | str] = {}

    # -- index expansion ----------------------------------------------------------------------

    def expand(self, snapshot: Snapshot, progress: Progress = NO_PROGRESS) -> Snapshot:
        """An image index also yields one component per platform manifest (as `ec`).

        Each reference is resolved to a digest here, once; gathering and evaluation
        use that digest. A manifest that cannot be read is a violation on its
        component (`ec` logs it and checks the index alone, so a platform image that
        breaks the policy would go unchecked).
        """
        self._resolved = {}
        progress.start("resolving", len(snapshot.components))

        def one(c: Component) -> list[Component]:
            found = self._expand_one(c)
            progress.advance()
            return found

        with ThreadPoolExecutor(max(1, self.checks.workers)) as pool:
            expanded = list(pool.map(one, snapshot.components))
        components = [c for group in expanded for c in group]
        components.sort(key=lambda c: c.container_image)
        return Snapshot(snapshot.application, snapshot.display_name, components, snapshot.extra)

    def _expand_one(self, c: Component) -> list[Component]:
        try:
            ref = parse_reference(c.container_image)
            manifest = self.registry.manifest(ref)
            children = manifest.descriptors() if manifest.is_index else []
        except KonfluxError as exc:
            self._resolved[c.container_image] = str(exc)
            return [c]
        pinned = manifest.reference
        self._resolved[c.container_image] = ImageReference(
            pinned.registry, pinned.repository, None, pinned.digest
        )
        out = [c]
        for i, d in enumerate(children):
            arch = (d.platform or {}).get("architecture") or f"noarch-{i}"
            child = Component(
                f"{c.name}-{d.digest}-{arch}", f"{ref.context}@{d.digest}", dict(c.source)
            )
            out.append(child)
        return out

    # -- phase 1 ------------------------------------------------------------------------------

    def gather(self, component: Component) -> Gathered:
        """What phase 1 learns about `component`; never raises (an error is a violation)."""
        try:
            return self._gather(component)
        except Exception as exc:  # a malformed artifact must cost its component, not the run
            log.debug("checking %s", component.container_image, exc_info=True)
            g = Gathered(component)
            g.checks.append(CheckOutcome("verification", f"{type(exc).__name__}: {exc}"))
            return g

    def _pinned(self, component: Component) -> ImageReference:
        """The component's digest-pinned reference: from `expand`, else resolved now."""
        known = self._resolved.get(component.container_image)
        if isinstance(known, str):
            raise _Unreadable(known)
        if known is not None:
            return known
        ref = parse_reference(component.container_image)
        if ref.digest:
            # A platform manifest of an expanded index: check it is there.
            self.registry.manifest(ref)
            return ImageReference(ref.registry, ref.repository, None, ref.digest)
        digest = self.registry.resolve(ref).digest
        return ImageReference(ref.registry, ref.repository, None, digest)

    def _gather(self, component: Component) -> Gathered:
        g = Gathered(component)
        try:
            pinned = self._pinned(component)
        except KonfluxError as exc:
            g.checks.append(CheckOutcome("accessible", str(exc)))
            return g
        g.image = str(pinned)
        facts = ImageFacts(ref=g.image, source=dict(component.source))
        self._configs(pinned, facts)
        try:
            facts.files = image_files(self.registry, pinned, facts.config)
        except KonfluxError as exc:
            g.checks.append(CheckOutcome("image_files", str(exc)))
        trust = self.checks.trust
        if self.checks.skip_image_sig_check:
            log.warning("Image signature check skipped")
        else:
            if trust is None:
                g.checks.append(
                    CheckOutcome("image_signature", "no public key or keyless identity")
                )
            else:
                # Signatures attached as OCI 1.1 referrers count as well as `.sig` tags.
                report = self.registry.run(
                    verify_image_signatures(self.registry.client, pinned, trust, referrers=True)
                )
                error = _check_error(report.result)
                g.checks.append(
                    CheckOutcome("image_signature", error, no_match=bool(error and report.checked))
                )
                facts.signatures = report.entities()
        if self.checks.skip_att_sig_check:
            # As ec: statements are read as they are; nothing about them is trusted.
            log.warning(
                "Attestation signature check skipped, fetching attestations without verification"
            )
            if self.checks.skip_image_sig_check:
                log.warning(
                    "Both --skip-image-sig-check and --skip-att-sig-check are active, "
                    "all cryptographic verification is disabled"
                )
            attestations = self.registry.run(read_attestations(self.registry.client, pinned))
            error = _check_error(attestations.result)
            if error:
                reason = f"failed to fetch attestations (signature check skipped): {error}"
                g.checks.append(CheckOutcome("attestation_signature", reason))
                return g
        elif trust is None:
            g.checks.append(
                CheckOutcome("attestation_signature", "no public key or keyless identity")
            )
            return g
        else:
            attestations = self.registry.run(
                verify_attestations(self.registry.client, pinned, trust)
            )
            error = _check_error(attestations.result)
            g.checks.append(
                CheckOutcome(
                    "attestation_signature", error, no_match=bool(error and attestations.checked)
                )
            )
            if error:
                return g
        verified = attestations.inputs()
        facts.attestations = [(a["statement"], a["signatures"]) for a in verified]
        g.statements = [a["statement"] for a in verified]
        syntax = attestations.syntax_result
        g.checks.append(CheckOutcome("attestation_syntax", _check_error(syntax)))
        if not g.statements:
            g.stop = Result(NO_MATCHING_ATTESTATIONS)
        g.facts = facts
        return g

    def _configs(self, pinned: ImageReference, facts: ImageFacts) -> None:
        """Image config, and the parent's, as far as they can be read (ec logs and goes on)."""
        try:
            manifest = self.registry.image(pinned)
            facts.config = self.registry.image_config(pinned).get("config") or {}
        except KonfluxError as exc:
            log.debug("config of %s: %s", pinned, exc)
            return
        annotations = manifest.json.get("annotations") or {}
        parent = annotations.get(BASE_NAME)
        if not parent:
            return
        if "@" not in parent and annotations.get(BASE_DIGEST):
            parent = f"{parent}@{annotations[BASE_DIGEST]}"  # as written, tag kept (as ec)
        facts.parent_ref = parent
        try:
            facts.parent_config = self.registry.image_config(parent).get("config") or {}
        except KonfluxError as exc:
            log.debug("parent config of %s: %s", parent, exc)

    # -- phase 2 ------------------------------------------------------------------------------

    def _evaluate(
        self, g: Gathered, evaluator: PolicyEvaluator, snapshot: dict[str, Any]
    ) -> TargetReport:
        outcome = Outcome()
        keyless = self.checks.keyless
        for check in g.checks:
            if check.passed:
                if check.check not in SILENT_WHEN_PASSED:
                    outcome.successes.append(check.result(keyless=keyless))
            else:
                outcome.violations.append(check.result(keyless=keyless))
        policy_doc = None
        if g.facts is not None and g.stop is None:
            # ec's input names the policy as it was fetched: sources pinned.
            pinned = evaluator.pinned_spec()
            policy_doc = policy_input(g.facts, snapshot, g.component.name, pinned)
            outcome.extend(
                evaluator.evaluate(policy_doc, image_ref=g.image, component=g.component.name)
            )
        elif g.stop is not None:
            outcome.violations.append(g.stop)
        outcome.sort()
        facts = g.facts
        return TargetReport(
            name=g.component.name,
            outcome=outcome,
            image=g.image or g.component.container_image,
            source=dict(g.component.source),
            signatures=facts.signatures if facts else [],
            attestations=[attestation_summary(s, sig) for s, sig in facts.attestations]
            if facts
            else [],
            statements=g.statements,
            policy_input=policy_doc,
        )

    def validate(
        self,
        snapshot: Snapshot,
        *,
        info: bool = False,
        show_successes: bool = False,
        show_warnings: bool = True,
        progress: Progress = NO_PROGRESS,
    ) -> Report:
        self.registry.new_run()  # a run sees one consistent view of the registry
        expanded = self.expand(snapshot, progress)
        workers = max(1, self.checks.workers)

        def gather(component: Component) -> Gathered:
            progress.note(component.name)
            g = self.gather(component)
            progress.advance(failed=int(any(not c.passed for c in g.checks)))
            return g

        progress.start("verifying", len(expanded.components))  # the total after expansion
        with ThreadPoolExecutor(workers) as pool:
            gathered = list(pool.map(gather, expanded.components))
        progress.start("evaluating", len(gathered))
        # Evaluation is CPU-bound (OPA runs outside the GIL): more evaluators than
        # cores only adds compilations.
        evaluators = max(1, min(workers, os.cpu_count() or 1))
        settings = self.settings
        if self.checks.effective_time_from_attestations:
            when = attestation_time([s for g in gathered for s in g.statements])
            if when is not None:
                settings = replace(settings, effective_time=when)

        def failed(c: Any, exc: KonfluxError) -> KonfluxError:
            return reworded(
                exc, f"error validating image {c.container_image} of component {c.name}: {exc}"
            )

        # One prepared policy for every evaluating thread, each evaluation on its own engine.
        try:
            evaluator = PolicyEvaluator(self.policy, settings, workers=evaluators)
        except (SourceError, PolicySchemaError):
            raise  # fetching and reading the policy: before any image, in ec too
        except KonfluxError as exc:
            # ec loads a source's Rego while it evaluates the first image, and says so
            if not gathered:
                raise
            raise failed(gathered[0].component, exc) from None
        spec = expanded.to_spec()

        def evaluate(g: Gathered) -> TargetReport:
            try:
                report = self._evaluate(g, evaluator, spec)
            except KonfluxError as exc:
                raise failed(g.component, exc) from None
            progress.advance(failed=int(bool(report.outcome.violations)))
            return report

        try:
            with ThreadPoolExecutor(evaluators) as pool:
                targets = list(pool.map(evaluate, gathered))
            # As `ec`, the image report names the policy sources pinned to what was used.
            policy_spec = evaluator.pinned_spec()
        finally:
            evaluator.close()
        return Report(
            targets=targets,
            policy=policy_spec,
            effective_time=settings.effective_time,
            show_successes=show_successes,
            show_warnings=show_warnings,
            info=info,
            kind="image",
            key=self.checks.key_pem,
        )
