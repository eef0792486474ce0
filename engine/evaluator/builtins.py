"""Custom Rego builtins implemented in Python (names and arities after `ec`).

Each builtin is registered with a fixed arity, memoized for one run (keyed by
its JSON arguments), and mockable with `with` in Rego tests like any builtin.
The `ec.oci.*` and `ec.sigstore.*` names are registered now so policies that
call them compile; until a registry client is plugged in they answer
*undefined* and log why, so a rule depending on them can never pass silently.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from packageurl import PackageURL

from konflux.engine.evaluator._bridge import UNDEFINED

log = logging.getLogger(__name__)

BuiltinFn = Callable[..., Any]


@dataclass(frozen=True)
class Builtin:
    """A Python function exposed to Rego as `name` taking `arity` arguments."""

    name: str
    arity: int
    fn: BuiltinFn
    memoize: bool = True


@dataclass
class BuiltinRegistry:
    """The set of custom builtins one evaluator exposes, with a per-run memo."""

    builtins: dict[str, Builtin] = field(default_factory=dict)
    _memo: dict[tuple[str, str], Any] = field(default_factory=dict)

    def add(self, builtin: Builtin) -> None:
        self.builtins[builtin.name] = builtin

    def replace(self, name: str, fn: BuiltinFn) -> None:
        """Swap the implementation behind a registered name (a registry-backed `ec.oci.blob`)."""
        old = self.builtins[name]
        self.builtins[name] = Builtin(name, old.arity, fn, old.memoize)
        self.new_run()

    def new_run(self) -> None:
        """Forget memoized answers: a run sees one consistent view, the next a fresh one."""
        self._memo.clear()

    def dispatcher(self, name: str) -> BuiltinFn:
        """A callable for the bridge that looks the implementation up at call time."""

        def call(*args: Any) -> Any:
            builtin = self.builtins[name]
            if not builtin.memoize:
                return builtin.fn(*args)
            key = (name, json.dumps(args, sort_keys=True, separators=(",", ":")))
            if key not in self._memo:
                self._memo[key] = builtin.fn(*args)
            return self._memo[key]

        return call


def purl_is_valid(purl: Any) -> bool:
    if not isinstance(purl, str):
        return False
    try:
        PackageURL.from_string(purl)
    except ValueError:
        return False
    return True


def purl_parse(purl: Any) -> Any:
    """Parse a purl into ec's shape; undefined for an invalid one (as `ec`)."""
    if not isinstance(purl, str):
        return UNDEFINED
    try:
        p = PackageURL.from_string(purl)
    except ValueError as exc:
        # As ec: an error line with the function, the purl and why (Go's wording for the
        # commonest mistake, a missing `pkg:` scheme).
        scheme, sep, _ = purl.partition(":")
        reason = (
            str(exc)
            if sep and scheme == "pkg"
            else f'purl scheme is not "pkg": "{scheme if sep else ""}"'
        )
        log.error(
            "failed to parse PURL",
            extra={"fields": {"error": reason, "function": "ec.purl.parse", "purl": purl}},
        )
        return UNDEFINED
    qualifiers = p.qualifiers if isinstance(p.qualifiers, dict) else {}
    return {
        "type": p.type or "",
        "namespace": p.namespace or "",
        "name": p.name or "",
        "version": p.version or "",
        "qualifiers": [{"key": k, "value": v} for k, v in sorted(qualifiers.items())],
        "subpath": p.subpath or "",
    }


def _unavailable(name: str) -> BuiltinFn:
    warned = False

    def call(*args: Any) -> Any:
        nonlocal warned
        # Once per builtin: a policy test suite calls these thousands of times.
        log.log(
            logging.DEBUG if warned else logging.WARNING,
            "%s: no registry client is configured in this run; the call is undefined",
            name,
        )
        warned = True
        return UNDEFINED

    return call


# Arity of every registry/signature builtin a policy may call, after ec's.
SUPPLY_CHAIN_BUILTINS: dict[str, int] = {
    "ec.oci.blob": 1,
    "ec.oci.parsed_blob": 1,
    "ec.oci.blob_files": 2,
    "ec.oci.descriptor": 1,
    "ec.oci.image_manifest": 1,
    "ec.oci.image_manifests": 1,
    "ec.oci.image_files": 2,
    "ec.oci.image_index": 1,
    "ec.oci.image_tag_refs": 1,
    "ec.oci.image_referrers": 1,
    "ec.sigstore.verify_image": 2,
    "ec.sigstore.verify_attestation": 2,
}


def default_builtins() -> Iterable[Builtin]:
    yield Builtin("ec.purl.is_valid", 1, purl_is_valid)
    yield Builtin("ec.purl.parse", 1, purl_parse)
    for name, arity in SUPPLY_CHAIN_BUILTINS.items():
        yield Builtin(name, arity, _unavailable(name))


def default_registry(overrides: Mapping[str, BuiltinFn] | None = None) -> BuiltinRegistry:
    """Our builtins; `overrides` replace implementations by name (registry-backed `ec.oci.*`)."""
    registry = BuiltinRegistry()
    for builtin in default_builtins():
        registry.add(builtin)
    for name, fn in (overrides or {}).items():
        registry.replace(name, fn)
    return registry
