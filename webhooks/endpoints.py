"""The webhook endpoints: which kind each path admits, in which phase, and what it looks up.

A path evaluates `data.admission.<kind>`: `deny`/`warn` when validating,
`patch`/`mutate_deny` when mutating. The lookups a kind needs are gathered
before evaluation and passed to the rules as `input.lookups` (results or
errors); the rules decide what a missing lookup means.
"""

from __future__ import annotations

from dataclasses import dataclass

from konflux.kube import resources
from konflux.kube.resources import Resource

VALIDATE = "validate"
MUTATE = "mutate"
PHASE_RULES = {VALIDATE: ("deny", "warn"), MUTATE: ("patch", "mutate_deny")}


@dataclass(frozen=True)
class Lookup:
    """One Kubernetes read: `get` an object named by a spec field, or `list` a namespace."""

    key: str  # name under input.lookups
    verb: str  # "get" or "list"
    resource: Resource
    name_field: str = ""  # spec field holding the object name (get only)


APPLICATION = Lookup("application", "get", resources.APPLICATION, "application")
COMPONENT_GROUP = Lookup("componentgroup", "get", resources.COMPONENT_GROUP, "componentGroup")
COMPONENTS = Lookup("components", "list", resources.COMPONENT)
RELEASE_PLAN = Lookup("releaseplan", "get", resources.RELEASE_PLAN, "releasePlan")


@dataclass(frozen=True)
class Endpoint:
    path: str
    kind: str  # package under data.admission
    phase: str
    lookups: tuple[Lookup, ...] = ()

    @property
    def select_key(self) -> str:
        return f"{self.kind}/{self.phase}"


_LOOKUPS: dict[tuple[str, str], tuple[Lookup, ...]] = {
    ("component", VALIDATE): (APPLICATION, COMPONENTS),
    ("component", MUTATE): (APPLICATION,),
    ("integrationtestscenario", VALIDATE): (APPLICATION, COMPONENT_GROUP),
    ("integrationtestscenario", MUTATE): (APPLICATION, COMPONENT_GROUP),
    ("nudgeconfig", VALIDATE): (COMPONENTS,),
    ("release", MUTATE): (RELEASE_PLAN,),
}

KINDS = (
    "application",
    "component",
    "snapshot",
    "integrationtestscenario",
    "releaseplan",
    "releaseplanadmission",
    "release",
    "componentgroup",
    "nudgeconfig",
)
# Kinds whose upstream webhook only validates (application-service's Application defaulter
# is empty; ComponentGroup and NudgeConfig have no defaulter).
MUTATING_KINDS = set(KINDS) - {"application", "componentgroup", "nudgeconfig"}

ENDPOINTS: dict[str, Endpoint] = {}
for _kind in KINDS:
    for _phase in (VALIDATE, MUTATE):
        if _phase == MUTATE and _kind not in MUTATING_KINDS:
            continue
        _path = f"/{_phase}-{_kind}"
        ENDPOINTS[_path] = Endpoint(_path, _kind, _phase, _LOOKUPS.get((_kind, _phase), ()))
