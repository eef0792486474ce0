"""Which results a policy source keeps: include/exclude criteria scored as `ec` scores them.

A result yields matchers (`pkg`, `pkg.*`, `pkg.rule`, each with `:term`, `*`,
`@collection`); each criterion that equals a matcher adds its score (`@x`=10,
`*`=1, package part 10 per segment, a rule +100, a term +100). A result is
kept when the include score exceeds the exclude score. volatileConfig entries
count only inside their effectiveOn..effectiveUntil window and for the image
or component they name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from konflux.engine.policy.spec import Criteria, Source

_MULTIARCH_SUFFIX = re.compile(r"-sha256:[0-9a-f]{64}-\S+$")


def score(name: str) -> int:
    """Specificity of one include/exclude entry."""
    if name.startswith("@"):
        return 10
    short, _, term = name.partition(":")
    value = 100 if term else 0
    parts = short.split(".")
    if len(parts) == 1:
        return value + (1 if short == "*" else 10)
    pkg, rule = ".".join(parts[:-1]), parts[-1]
    value += 1 if pkg == "*" else 10 * (len(parts) - 1)
    if rule not in ("*", ""):
        value += 100
    return value


def terms_of(metadata: dict[str, Any]) -> list[str]:
    term = metadata.get("term")
    if isinstance(term, str):
        return [term]
    if isinstance(term, list):
        return [t for t in term if isinstance(t, str)]
    return []


def matchers(metadata: dict[str, Any]) -> list[str]:
    """Every criterion string that selects a result with this metadata."""
    code = str(metadata.get("code") or "")
    parts = code.split(".")
    pkg = parts[-2] if len(parts) >= 2 else ""
    rule = parts[-1]
    base = [pkg, f"{pkg}.*", f"{pkg}.{rule}"] if pkg else []
    with_terms = [f"{m}:{t}" for t in terms_of(metadata) if t for m in base]
    collections = [f"@{c}" for c in metadata.get("collections") or [] if isinstance(c, str)]
    return [*base, *with_terms, "*", *collections]


def parse_volatile_time(text: str) -> datetime | None:
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def image_keys(image_ref: str) -> list[str]:
    """Repository name and digest of an image reference (the keys volatile entries use)."""
    if not image_ref:
        return []
    repo, _, digest = image_ref.partition("@")
    last = repo.rsplit("/", 1)[-1]
    if ":" in last:
        repo = repo[: len(repo) - len(last)] + last.split(":", 1)[0]
    return [repo] + ([digest] if digest else [])


@dataclass
class CriteriaSet:
    """Include or exclude entries: unscoped, by image key, by component name."""

    default: list[str] = field(default_factory=list)
    by_key: dict[str, list[str]] = field(default_factory=dict)
    by_component: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return (
            len(self.default)
            + sum(map(len, self.by_key.values()))
            + sum(map(len, self.by_component.values()))
        )

    def add_volatile(self, entries: Iterable[Criteria], at: datetime) -> list[str]:
        """Add entries active at `at`; return warnings for entries whose dates cannot be read."""
        warnings = []
        for c in entries:
            start = parse_volatile_time(c.effective_on) if c.effective_on else at
            until = parse_volatile_time(c.effective_until) if c.effective_until else at
            if start is None or until is None:
                warnings.append(f"skipping volatile criteria {c.value!r}: unreadable date")
                continue
            if not (start <= at <= until):
                continue
            key = c.image_ref or c.image_url or c.image_digest
            if key:
                self.by_key.setdefault(key, []).append(c.value)
            elif c.component_names:
                for name in c.component_names:
                    self.by_component.setdefault(name, []).append(c.value)
            else:
                self.default.append(c.value)
        return warnings

    def get(self, image_ref: str = "", component: str = "") -> list[str]:
        keys = image_keys(image_ref)
        if not keys:
            return list(self.default)
        items = [v for k in keys for v in self.by_key.get(k, [])]
        if component:
            items += self.by_component.get(component, [])
            original = _MULTIARCH_SUFFIX.sub("", component)
            if original != component:
                items += self.by_component.get(original, [])
        return items + self.default


@dataclass
class RuleSelector:
    """The include and exclude criteria of one source at one effective time."""

    include: CriteriaSet
    exclude: CriteriaSet

    @classmethod
    def for_source(
        cls, source: Source, at: datetime, configuration: dict[str, Any] | None = None
    ) -> RuleSelector:
        include, exclude = CriteriaSet(), CriteriaSet()
        include.default += source.include
        exclude.default += source.exclude
        include.add_volatile(source.volatile_include, at)
        exclude.add_volatile(source.volatile_exclude, at)
        if not len(include) and not len(exclude) and configuration:
            # The deprecated top-level `configuration` applies only when nothing else does.
            include.default += configuration.get("include") or []
            exclude.default += configuration.get("exclude") or []
            include.default += [f"@{c}" for c in configuration.get("collections") or []]
        if not len(include):
            include.default.append("*")
        return cls(include, exclude)

    def keeps(
        self,
        metadata: dict[str, Any],
        *,
        image_ref: str = "",
        component: str = "",
        unmatched_includes: set[str] | None = None,
    ) -> bool:
        """Whether a result is kept; prunes matched entries from `unmatched_includes`."""
        needles = matchers(metadata)
        inc = self._score(needles, self.include.get(image_ref, component), unmatched_includes)
        exc = self._score(needles, self.exclude.get(image_ref, component), None)
        return inc > exc

    def may_keep(
        self, metadata: dict[str, Any], *, image_ref: str = "", component: str = ""
    ) -> bool:
        """Whether some result of this rule could be kept, whatever its term.

        Used to skip evaluating packages none of whose rules can be reported.
        Over-approximates: term-scoped includes count as if they had no term,
        term-scoped excludes do not count.
        """
        needles = matchers(metadata)
        include = [
            c.partition(":")[0] if not c.startswith("@") else c
            for c in self.include.get(image_ref, component)
        ]
        exclude = [c for c in self.exclude.get(image_ref, component) if ":" not in c]
        return self._score(needles, include, None) > self._score(needles, exclude, None)

    @staticmethod
    def _score(needles: list[str], haystack: list[str], prune: set[str] | None) -> int:
        total = 0
        for needle in needles:
            for hay in haystack:
                if hay == needle:
                    total += score(hay)
                    if prune is not None:
                        prune.discard(hay)
        return total
