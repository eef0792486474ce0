"""Builtins a policy may not call when evaluated for a decision.

`ec` evaluates with strict capabilities that remove network access
(`http.send`, `net.lookup_ip_addr`) and runtime introspection (`opa.runtime`),
so a release decision cannot depend on what a remote server answers at that
moment. The evaluation core (`engine/prepared.py`) checks every module's
source before compiling it, for evaluation and `policy test` alike: a policy
that could not be evaluated cannot pass its tests either. Mocking with
`with http.send as ...` is not a call, so tests of other rules may still use it.
"""

from __future__ import annotations

from konflux.engine.errors import RegoError
from konflux.engine.evaluator.lenient import calls

FORBIDDEN = frozenset({"http.send", "net.lookup_ip_addr", "opa.runtime"})


def check_allowed(path: str, source: str) -> None:
    """Raise `RegoError` naming the file and line of the first forbidden builtin call."""
    for name, line in calls(source):
        if name in FORBIDDEN:
            raise RegoError(
                f"{path}:{line}: the policy calls {name}, which is not available to policies "
                "(no network or runtime access during evaluation)"
            )
