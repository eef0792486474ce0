"""Evaluating a policy against targets with `ec`'s semantics.

For each policy source: load its modules and data, evaluate the `deny`/`warn`
rules of every result package through the evaluation core (one prepared
query, a package's error blamed on that package alone), then post-process as
`ec` does — rule metadata, include/exclude selection, severity and
`effective_on`, successes for silent rules, unmatched includes, `depends_on`
trimming, and the exclusion hint on failures.

A `PolicyEvaluator` is safe to share between threads: each source's
`PreparedPolicy` lends every evaluation its own engine (up to `workers`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from konflux.engine.errors import EvaluationError, NoResultsError
from konflux.engine.policy.sources import load_source
from konflux.engine.policy.spec import Policy, Source
from konflux.engine.prepared import PreparedPolicy, rule_entries
from konflux.engine.report import Outcome, Result
from konflux.engine.rules import RESULT_RULES, Rule, result_packages, rules_of
from konflux.engine.selection import RuleSelector, matchers

EFFECTIVE_ON_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
EFFECTIVE_ON_RELEVANCE = timedelta(days=90)


@dataclass
class Settings:
    """How one run evaluates: the effective time and the knobs `ec` exposes as flags."""

    effective_time: datetime = field(default_factory=lambda: datetime.now(UTC))
    extra_rule_data: dict[str, Any] = field(default_factory=dict)
    filter_type: str = "include-exclude"
    workdir: Path | None = None
    policy_key: str | None = None  # PEM: OCI policy bundles must be signed with it
    # `data.config.default_sigstore_opts` overrides from the command line (`--public-key`, ...).
    sigstore_opts: dict[str, Any] = field(default_factory=dict)
    # Implementations replacing registered builtins (e.g. registry-backed `ec.oci.*`).
    builtins: dict[str, Callable[..., Any]] = field(default_factory=dict)


PAST_GRACE = timedelta(seconds=2)


def parse_effective_time(value: str | None, *, allow_past: bool = True) -> datetime:
    """`now`, an RFC3339 timestamp or a YYYY-MM-DD date (UTC).

    As `ec`, a time in the past is refused unless `allow_past`: evaluating
    against an old date silently disables rules that became effective since.
    """
    if not value or value.lower() == "now":
        return datetime.now(UTC)
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"invalid effective time {value!r}: use now, RFC3339 or YYYY-MM-DD"
        ) from None
    if parsed.tzinfo is None:
        raise ValueError(f"invalid effective time {value!r}: RFC3339 needs a time zone")
    parsed = parsed.astimezone(UTC)
    if not allow_past and parsed < datetime.now(UTC) - PAST_GRACE:
        raise ValueError(
            f"effective time {parsed.strftime('%Y-%m-%dT%H:%M:%SZ')} is in the past; "
            "use --allow-past-effective-time to override"
        )
    return parsed


def _to_result(raw: Any) -> Result:
    if isinstance(raw, dict):
        meta = {k: v for k, v in raw.items() if k not in ("msg", "outputs")}
        outputs = raw.get("outputs") if isinstance(raw.get("outputs"), list) else None
        return Result(str(raw.get("msg", "")), meta, outputs)
    return Result(str(raw))


def _rule_at(rules: dict[str, Rule], location: str | None) -> Rule | None:
    """The annotated rule whose body holds `location` (file:line), if any."""
    if not location:
        return None
    file, _, line = location.rpartition(":")
    if not line.isdigit():
        file, _, line = file.rpartition(":")
    candidates = [r for r in rules.values() if r.file == file and r.line <= int(line or 0)]
    return max(candidates, key=lambda r: r.line, default=None)


class SourceEvaluator:
    """One policy source, prepared on its own (its data differs from other sources')."""

    def __init__(self, policy: Policy, source: Source, settings: Settings, *, workers: int = 1):
        self.policy, self.source, self.settings = policy, source, settings
        loaded = load_source(
            source.policy, source.data, settings.workdir, policy_key=settings.policy_key
        )
        self.pinned = loaded.pinned  # source URL -> the URL naming what was fetched
        files = loaded.files
        self.files = files
        self.rules = rules_of(files.modules)
        self.intentions = self._target_intentions()
        self.packages = [p for p in result_packages(files.modules) if self._package_wanted(p)]
        self.selector = RuleSelector.for_source(
            source, settings.effective_time, policy.spec.get("configuration")
        )
        # One entry per (package, deny|warn); selecting a package answers both.
        self.prepared = PreparedPolicy(
            files,
            rule_entries(files.modules, RESULT_RULES, packages=self.packages),
            data=self._config_data(),
            builtins=settings.builtins,
            size=workers,
        )

    def _target_intentions(self) -> list[str]:
        value = self.source.rule_data.get("pipeline_intention")
        if isinstance(value, str):
            return [value]
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def _rule_wanted(self, rule: Rule) -> bool:
        if self.settings.filter_type != "ec-policy":
            return True
        if not self.intentions:
            return not rule.pipeline_intention
        return bool(set(rule.pipeline_intention) & set(self.intentions))

    def _package_wanted(self, package: str) -> bool:
        if self.settings.filter_type != "ec-policy":
            return True
        rules = [r for r in self.rules.values() if r.package == package]
        if not self.intentions:
            return not any(r.pipeline_intention for r in rules)
        return any(self._rule_wanted(r) for r in rules)

    def _config_data(self) -> dict[str, Any]:
        identity = self.policy.identity
        rule_data = {**self.source.rule_data, **self.settings.extra_rule_data}
        return {
            "rule_data__configuration__": rule_data,
            "config": {
                "policy": {"when_ns": int(self.settings.effective_time.timestamp() * 1e9)},
                "default_sigstore_opts": {
                    "certificate_identity": identity.get("subject", ""),
                    "certificate_identity_regexp": identity.get("subjectRegExp", ""),
                    "certificate_oidc_issuer": identity.get("issuer", ""),
                    "certificate_oidc_issuer_regexp": identity.get("issuerRegExp", ""),
                    "ignore_rekor": False,
                    "public_key": self.policy.public_key or "",
                    "rekor_url": self.policy.rekor_url or "",
                    **self.settings.sigstore_opts,
                },
            },
        }

    def _selected_packages(self, image_ref: str, component: str) -> list[str]:
        """Packages with a rule the criteria could keep (or with no annotated rule at all).

        As `ec`, packages whose every rule is excluded are not evaluated, so their
        builtins (registry fetches among them) never run.
        """
        selected = []
        for pkg in self.packages:
            rules = [r for r in self.rules.values() if r.package == pkg and self._rule_wanted(r)]
            if not any(r.package == pkg for r in self.rules.values()) or any(
                self.selector.may_keep(
                    {"code": r.code, "collections": list(r.collections)},
                    image_ref=image_ref,
                    component=component,
                )
                for r in rules
            ):
                selected.append(pkg)
        return selected

    def _raw_results(
        self, input: Any, packages: list[str]
    ) -> tuple[list[tuple[str, str, Any]], dict[str, Result]]:
        """All (package, kind, result) triples; a package whose query errors yields a failure."""
        answer = self.prepared.evaluate(input, packages)
        triples = [(entry.package, entry.rule, value) for entry, value in answer.results]
        errors = {pkg: self._error_result(pkg, exc) for pkg, exc in answer.errors.items()}
        return triples, errors

    def _error_result(self, pkg: str, exc: EvaluationError) -> Result:
        rule = _rule_at(self.rules, exc.location)
        code = rule.code if rule else f"{pkg}.evaluation_error"
        what = f"builtin {exc.builtin} failed" if exc.builtin else "evaluation failed"
        where = f" at {exc.location}" if exc.location else ""
        return Result(
            f"Rule {code} could not be evaluated: {what}{where}: {exc}",
            {"code": code, "severity": "failure"},
        )

    def evaluate(
        self, input: Any, *, image_ref: str = "", component: str = ""
    ) -> tuple[Outcome, set[str]]:
        """Outcome for one target, and the include criteria no result matched."""
        at = self.settings.effective_time
        packages = self._selected_packages(image_ref, component)
        triples, errors = self._raw_results(input, packages)
        missing = set(self.selector.include.get(image_ref, component))
        outcome = Outcome(violations=list(errors.values()))
        for error in errors.values():
            missing -= set(matchers(error.metadata))
        by_pkg: dict[str, list[tuple[str, Result]]] = {p: [] for p in packages}
        for pkg, kind, raw in triples:
            by_pkg.setdefault(pkg, []).append((kind, _to_result(raw)))
        for pkg, found in by_pkg.items():
            kept: list[tuple[str, Result]] = []
            for kind, result in found:
                rule = self.rules.get(result.code)
                if rule:
                    if not self._rule_wanted(rule):
                        continue
                    _add_rule_metadata(result, rule, at)
                # As ec: an include criterion a result matches is "used" even when an exclude
                # then removes the result, so it is not reported as matching nothing.
                missing -= set(matchers(result.metadata))
                if not result.code or self.selector.keeps(
                    result.metadata, image_ref=image_ref, component=component
                ):
                    kept.append((kind, result))
            for _, result in kept:
                missing -= set(matchers(result.metadata))
            for kind, result in kept:
                _categorize(kind, result, at, outcome)
            if pkg in errors:
                continue  # its rules were not evaluated: none of them passed
            seen = {r.code for _, r in found}
            outcome.successes += self._successes(pkg, seen, image_ref, component, missing)
        return outcome, missing

    def _successes(
        self,
        pkg: str,
        seen: set[str],
        image_ref: str,
        component: str,
        missing: set[str],
    ) -> list[Result]:
        successes = []
        for code, rule in sorted(self.rules.items()):
            if rule.package != pkg or code in seen or not self._rule_wanted(rule):
                continue
            meta: dict[str, Any] = {"code": code}
            if rule.title:
                meta["title"] = rule.title
            if rule.description:
                meta["description"] = rule.description
            if rule.collections:
                meta["collections"] = list(rule.collections)
            if rule.depends_on:
                meta["depends_on"] = list(rule.depends_on)
            missing -= set(matchers(meta))
            if not self.selector.keeps(meta, image_ref=image_ref, component=component):
                continue
            if rule.effective_on:
                meta["effective_on"] = rule.effective_on
            successes.append(Result("Pass", meta))
        return successes

    def close(self) -> None:
        self.prepared.close()


def _add_rule_metadata(result: Result, rule: Rule, at: datetime) -> None:
    meta = result.metadata
    if "collections" in meta and not isinstance(meta["collections"], list):
        del meta["collections"]
    for key, value in (
        ("title", rule.title),
        ("effective_on", rule.effective_on),
        ("severity", rule.severity),
        ("description", rule.description),
        ("solution", rule.solution),
    ):
        if value:
            meta[key] = value
    if rule.collections:
        meta["collections"] = list(rule.collections)
    if rule.depends_on:
        meta["depends_on"] = list(rule.depends_on)
    effective_on = _parse_effective_on(meta.get("effective_on"))
    if effective_on and effective_on < at - EFFECTIVE_ON_RELEVANCE:
        del meta["effective_on"]  # long in force: the date no longer tells the reader anything


def _parse_effective_on(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, EFFECTIVE_ON_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _categorize(kind: str, result: Result, at: datetime, outcome: Outcome) -> None:
    severity = result.metadata.get("severity")
    if kind == "warn":
        (outcome.violations if severity == "failure" else outcome.warnings).append(result)
        return
    if severity == "warning":
        outcome.warnings.append(result)
        return
    effective_on = _parse_effective_on(result.metadata.get("effective_on"))
    if effective_on and not effective_on < at:
        result.message = (
            f"{result.message.removesuffix('.')}. This will become a failure starting on "
            f"{result.metadata['effective_on']}"
        )
        outcome.warnings.append(result)
        return
    outcome.violations.append(result)


def _exclude_directives(code: str, term: Any) -> str:
    terms = [term] if isinstance(term, str) else term if isinstance(term, list) else []
    out = [f'"{code}:{t}"' for t in terms if isinstance(t, str) and t]
    out = out or [f'"{code}"']
    return ("one or more of " if len(out) > 1 else "") + ", ".join(out)


def _trim(outcome: Outcome) -> None:
    """Drop results depending on a reported rule; add the exclusion hint to failures."""
    reported = {r.code for r in outcome.violations + outcome.warnings if r.code}

    def independent(results: list[Result]) -> list[Result]:
        return [r for r in results if not (set(r.metadata.get("depends_on") or []) & reported)]

    outcome.violations = independent(outcome.violations)
    outcome.warnings = independent(outcome.warnings)
    outcome.successes = independent(outcome.successes)
    for r in outcome.violations:
        description = r.metadata.get("description")
        if isinstance(description, str) and r.code:
            r.metadata["description"] = (
                f"{description.removesuffix('.')}. To exclude this rule add "
                f"{_exclude_directives(r.code, r.metadata.get('term'))} to the `exclude` section "
                "of the policy configuration."
            )


class PolicyEvaluator:
    """A whole EnterpriseContractPolicy, ready to evaluate any number of targets.

    `evaluate` may be called from up to `workers` threads at once, each evaluation on
    engines of its own; more threads wait for one to be free.
    """

    def __init__(self, policy: Policy, settings: Settings | None = None, *, workers: int = 1):
        self.policy = policy
        self.settings = settings or Settings()
        self.sources: list[SourceEvaluator] = []
        try:
            for source in policy.sources:
                self.sources.append(SourceEvaluator(policy, source, self.settings, workers=workers))
        except Exception:
            self.close()
            raise

    def pinned_spec(self) -> dict[str, Any]:
        """The policy spec with each source URL replaced by what was actually fetched."""
        spec = copy.deepcopy(self.policy.spec)
        for raw, source in zip(spec.get("sources") or [], self.sources, strict=False):
            for key in ("policy", "data"):
                if key in raw:
                    raw[key] = [source.pinned.get(u, u) for u in raw[key]]
        return spec

    def evaluate(self, input: Any, *, image_ref: str = "", component: str = "") -> Outcome:
        outcome = Outcome()
        for source in self.sources:
            part, missing = source.evaluate(input, image_ref=image_ref, component=component)
            outcome.extend(part)
            for criterion in sorted(missing):
                outcome.warnings.append(
                    Result(f"Include criterion '{criterion}' doesn't match any policy rule")
                )
        counted = len(outcome.violations) + len(outcome.warnings) + len(outcome.successes)
        unmatched = sum(
            1 for r in outcome.warnings if not r.code and "Include criterion" in r.message
        )
        if counted - unmatched == 0:
            raise NoResultsError("no successes, warnings, or failures, check input")
        _trim(outcome)
        outcome.sort()
        return outcome

    def close(self) -> None:
        for source in self.sources:
            source.close()
