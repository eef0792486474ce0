"""konflux.testing: the kits for trying Konflux on one machine, in tests, benchmarks and demos.

Nothing in the product imports this package except the commands that exist to
run these kits (`konflux demo`, `konflux dev registry`, `konflux dev simulate`).
As `kopf.testing` over `kopf._kits`, the names below are the public surface; the
modules under it are private.

- A real OCI registry on loopback: `LocalRegistry` (Debian's `docker-registry`,
  installed with apt-get when missing), `free_port`; servers in front of one:
  `FaultProxy` (injected faults), `TokenFront` (bearer/basic auth).
- `LoopThread`: an event loop on a thread, for synchronous code driving async servers.
- Publishing as a signed build leaves an image: `Signer`, `publish_component`
  (image, signature, attestations, SBOM), `Publisher` (its blocking face); the demo
  app (`publish_demo_app`, `publish_passing_components`, `demo_policy_json`); the
  Konflux release build with Chains-style provenance (`ReleaseWorld`, `ReleaseBuild`).
- The Kubernetes API emulated: `LocalCluster` (kmock's emulator with API-server
  behaviours, the operators runnable on it), `ApiServerAuth`/`UserInfo` (tokens,
  reviews and RBAC); seeded worlds: `resource_object`, `seed_release`,
  `seed_tenant`, `build_run`, `finish_run`; the console over it (`local_console`,
  `simulation_console`, `small_world`).
- `simulate` / `run_simulation`: build -> signer -> Snapshot -> tests -> Release ->
  managed pipeline, on a local registry and an emulated cluster (`dev simulate`).
"""

from __future__ import annotations

from konflux.engine.loop_thread import LoopThread
from konflux.testing._auth import ApiServerAuth, Attributes, UserInfo, authorize, rule_allows
from konflux.testing._console import (
    dump_entry,
    dump_objects,
    k8s_object,
    load_objects,
    local_console,
    simulation_console,
    small_world,
    violation_report,
)
from konflux.testing._demo import (
    COMPONENTS as DEMO_COMPONENTS,
)
from konflux.testing._demo import (
    demo_policy_json,
    publish_demo_app,
    publish_passing_components,
    sbom_document,
)
from konflux.testing._emulator import (
    ALL_RESOURCES,
    SIGNER_RESOURCES,
    ApiServerEmulator,
    LocalCluster,
)
from konflux.testing._fronts import FaultProxy, TokenFront
from konflux.testing._publish import Publisher, Signer, publish_component
from konflux.testing._registry import LocalRegistry, LocalRegistryError, free_port, port_in_use
from konflux.testing._release_world import Build as ReleaseBuild
from konflux.testing._release_world import ReleaseWorld
from konflux.testing._release_world import codes as report_codes
from konflux.testing._signed_build import SignedBuild, signed_build
from konflux.testing._simulate import (
    SCENARIOS,
    SimulationResult,
    run_simulation,
    simulate,
)
from konflux.testing._world import (
    build_run,
    finish_run,
    resource_object,
    seed_release,
    seed_tenant,
)

# A 324-byte YAML "billion laughs": nine levels of nine aliases, ~2 billion nodes expanded.
YAML_ALIAS_BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

__all__ = [
    "ALL_RESOURCES",
    "DEMO_COMPONENTS",
    "SCENARIOS",
    "SIGNER_RESOURCES",
    "YAML_ALIAS_BOMB",
    "ApiServerAuth",
    "ApiServerEmulator",
    "Attributes",
    "FaultProxy",
    "LocalCluster",
    "LocalRegistry",
    "LocalRegistryError",
    "LoopThread",
    "Publisher",
    "ReleaseBuild",
    "ReleaseWorld",
    "SignedBuild",
    "Signer",
    "SimulationResult",
    "TokenFront",
    "UserInfo",
    "authorize",
    "build_run",
    "demo_policy_json",
    "dump_entry",
    "dump_objects",
    "finish_run",
    "free_port",
    "k8s_object",
    "load_objects",
    "local_console",
    "port_in_use",
    "publish_component",
    "publish_demo_app",
    "publish_passing_components",
    "report_codes",
    "resource_object",
    "rule_allows",
    "run_simulation",
    "sbom_document",
    "seed_release",
    "seed_tenant",
    "signed_build",
    "simulate",
    "simulation_console",
    "small_world",
    "violation_report",
]
