"""The one report model: results, per-target outcomes and the report every writer renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from konflux import __version__

# Without --info only these metadata keys are reported (as `ec`).
BRIEF_METADATA = ("code", "effective_on", "term")


@dataclass
class Result:
    message: str
    metadata: dict[str, Any] = field(default_factory=dict)
    outputs: list[str] | None = None

    @property
    def code(self) -> str:
        code = self.metadata.get("code")
        return code if isinstance(code, str) else ""

    def to_dict(self, *, info: bool = True) -> dict[str, Any]:
        meta = (
            self.metadata
            if info
            else {k: v for k, v in self.metadata.items() if k in BRIEF_METADATA}
        )
        out: dict[str, Any] = {"msg": self.message}
        if meta:
            out["metadata"] = dict(sorted(meta.items()))  # a Go map: `ec` emits sorted keys
        if self.outputs:
            out["outputs"] = self.outputs
        return out


def _sort_key(r: Result) -> tuple[str, str, str]:
    term = r.metadata.get("term")
    if isinstance(term, list):
        term = next((t for t in term if isinstance(t, str) and t), "")
    return (r.code, term if isinstance(term, str) else "", r.message)


@dataclass
class Outcome:
    """Violations, warnings and successes of one evaluated target (an input file or image)."""

    violations: list[Result] = field(default_factory=list)
    warnings: list[Result] = field(default_factory=list)
    successes: list[Result] = field(default_factory=list)

    def extend(self, other: Outcome) -> None:
        self.violations += other.violations
        self.warnings += other.warnings
        self.successes += other.successes

    def sort(self) -> None:
        for results in (self.violations, self.warnings, self.successes):
            results.sort(key=_sort_key)

    @property
    def success(self) -> bool:
        return not self.violations


@dataclass
class TargetReport:
    """One evaluated target: an input file, or a Snapshot component's image."""

    name: str
    outcome: Outcome
    image: str = ""  # the digest-pinned image, for `validate image`
    source: dict[str, Any] = field(default_factory=dict)
    signatures: list[dict[str, Any]] = field(default_factory=list)
    attestations: list[dict[str, Any]] = field(default_factory=list)
    statements: list[dict[str, Any]] = field(default_factory=list)
    policy_input: dict[str, Any] | None = None

    @property
    def success(self) -> bool:
        return self.outcome.success


@dataclass
class Report:
    """What a validation produced: one entry per input or image, and how it was produced."""

    targets: list[TargetReport]
    policy: dict[str, Any]
    effective_time: datetime
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    version: str = f"v{__version__}"
    show_successes: bool = False
    show_warnings: bool = True
    info: bool = False
    kind: str = "input"  # or "image"
    key: str = ""  # the public key PEM used for `validate image`, "" for keyless
    snapshot: str = ""
    show_policy_docs_link: bool = False  # the text report ends with ec's docs link

    @property
    def success(self) -> bool:
        return all(t.success for t in self.targets)

    def totals(self) -> tuple[int, int, int]:
        """(violations, warnings, successes) over all targets."""
        return (
            sum(len(t.outcome.violations) for t in self.targets),
            sum(len(t.outcome.warnings) for t in self.targets),
            sum(len(t.outcome.successes) for t in self.targets),
        )
