"""The rules behind the policies the console shows: loaded by the engine's one policy loader.

`konflux policy inspect` and the console read the same thing: a policy source URL is
fetched and read by `engine.policy.sources.load_source` and its annotated rules come
from `engine.rules.rules_of`. Loads are cached per URL (a pinned URL never changes;
an unpinned one is re-read after `ttl`) and run one at a time in a worker thread, so
a slow git clone cannot stall the event loop or be repeated by every page view.

What the console refuses to load: local paths and `file::` URLs, unless started for
local development (`allow_local`): policy source URLs come from
EnterpriseContractPolicies and reports that tenants can write, and a local path would
make the console read its own file system on their behalf.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from konflux.engine.errors import KonfluxError
from konflux.engine.policy.spec import Source
from konflux.engine.rules import Rule, rules_of
from konflux.engine.selection import RuleSelector

# `git::` only over https: `git::file://...` or `git::/path` would clone the console's own disk.
REMOTE_PREFIXES = ("git::https://", "oci::", "oci://", "github.com/", "gitlab.com/")


@dataclass(frozen=True)
class LoadedRules:
    """What one policy or data source URL holds, or why it could not be read."""

    url: str
    pinned: str = ""
    rules: dict[str, Rule] = field(default_factory=dict)
    rule_data: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def refusal(url: str, allow_local: bool) -> str:
    """Why the console will not load `url`, or "" when it will."""
    if url.startswith(REMOTE_PREFIXES):
        return ""
    if allow_local:
        return ""
    return (
        "not loaded: the console reads only remote policy sources (git::https://, oci::, "
        "github.com/, gitlab.com/); a local path would name the console's own files"
    )


def _load(url: str, as_data: bool) -> LoadedRules:
    from konflux.engine.policy.sources import load_source

    loaded = load_source([], [url]) if as_data else load_source([url], [])
    rule_data: dict[str, Any] = {}
    for doc in loaded.files.data:
        value = doc.value.get("rule_data") if not doc.mount else None
        if isinstance(value, dict):
            rule_data.update(value)
    rules = {} if as_data else rules_of(loaded.files.modules)
    return LoadedRules(url, loaded.pinned.get(url, url), rules, rule_data)


class RuleCatalogue:
    """Rules and rule data by source URL, loaded on demand and cached."""

    def __init__(
        self,
        *,
        allow_local: bool = False,
        ttl: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allow_local, self.ttl, self.clock = allow_local, ttl, clock
        self._cache: dict[tuple[str, bool], tuple[float, LoadedRules]] = {}
        self._lock = asyncio.Lock()
        self.loads = 0

    async def source(self, url: str, *, as_data: bool = False) -> LoadedRules:
        reason = refusal(url, self.allow_local)
        if reason:
            return LoadedRules(url, error=reason)
        key = (url, as_data)
        async with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > self.clock():
                return hit[1]
            self.loads += 1
            try:
                loaded = await asyncio.to_thread(_load, url, as_data)
            except KonfluxError as exc:
                # Shown on the page, and not cached: the next view tries again.
                return LoadedRules(url, error=f"could not load: {exc}")
            self._cache[key] = (self.clock() + self.ttl, loaded)
            return loaded

    async def sources(self, urls: Iterable[str], *, as_data: bool = False) -> list[LoadedRules]:
        return [await self.source(u, as_data=as_data) for u in dict.fromkeys(urls)]


# --- pure helpers over loaded rules ------------------------------------------------------------


def merged_rules(loaded: Iterable[LoadedRules]) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for source in loaded:
        for code, rule in source.rules.items():
            rules.setdefault(code, rule)
    return rules


def rule_selected(rule: Rule, source: Source, at: datetime | None = None) -> bool:
    """Whether the source's include/exclude config can report this rule (as `ec` selects)."""
    selector = RuleSelector.for_source(source, at or datetime.now(UTC))
    return selector.may_keep({"code": rule.code, "collections": list(rule.collections)})


def search(rules: Iterable[Rule], query: str) -> list[Rule]:
    """Rules matching every word of `query` in code, title, description, solution or collections."""
    words = [w.lower() for w in query.split() if w]
    found = []
    for rule in rules:
        text = " ".join(
            [
                rule.code,
                rule.title,
                rule.description,
                rule.solution,
                rule.kind,
                *(f"@{c}" for c in rule.collections),
                *rule.collections,
            ]
        ).lower()
        if all(w in text for w in words):
            found.append(rule)
    return sorted(found, key=lambda r: r.code)
