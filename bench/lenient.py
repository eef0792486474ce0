"""Cost of the lenient builtin wrappers (engine/evaluator/lenient.py).

Evaluates the same rules with and without the rewrite, on an input where
every call succeeds (so both variants compute the same thing), and prints
the time per call of: a type-guarded wrapper (`object.get`), a wrapper with
a Rego validity check (`json.unmarshal`), and a wrapper whose value check goes
through the Python helper engine (`time.parse_rfc3339_ns`, memoized per value,
so the figure is shown for distinct and for repeated values).

    python3 bench/lenient.py [--calls N]
"""

from __future__ import annotations

import argparse
import functools
import json
import time

from konflux.engine.evaluator.opa import OpaEvaluator
from konflux.engine.policy.files import PolicyFiles
from konflux.engine.policy.modules import parse_module
from konflux.engine.prepared import Entry, PreparedPolicy

RULES = {
    "object_get": 'n := count([v | some o in input.objs; v := object.get(o, "k", 0)])',
    "json_unmarshal": "n := count([v | some s in input.texts; v := json.unmarshal(s)])",
    "parse_time_distinct": "n := count([v | some s in input.times; v := time.parse_rfc3339_ns(s)])",
    "parse_time_repeated": "n := count([v | some s in input.same; v := time.parse_rfc3339_ns(s)])",
}


def _input(calls: int) -> dict:
    return {
        "objs": [{"k": i} for i in range(calls)],
        "texts": [json.dumps({"i": i}) for i in range(calls)],
        "times": [f"2024-01-01T00:00:{i % 60:02d}.{i:06d}Z" for i in range(calls)],
        "same": ["2024-01-01T00:00:00Z"] * calls,
    }


def _time(lenient: bool, name: str, body: str, data: dict, repeat: int) -> float:
    module = parse_module("b.rego", f"package b\n\nimport rego.v1\n\n{body}\n")
    prepared = PreparedPolicy(
        PolicyFiles([module]),
        [Entry("b.n", "b", whole=True)],
        backend=functools.partial(OpaEvaluator, lenient_builtins=lenient),
    )
    prepared.evaluate(data).raise_errors()  # prepare once
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        prepared.evaluate(data)  # a new run each time: builtin answers are not memoized across
        best = min(best, time.perf_counter() - start)
    prepared.close()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = _input(args.calls)
    rows = {}
    print(f"{'builtin':24} {'strict us/call':>15} {'lenient us/call':>16} {'overhead':>9}")
    for name, body in RULES.items():
        strict = _time(False, name, body, data, args.repeat) / args.calls * 1e6
        lenient = _time(True, name, body, data, args.repeat) / args.calls * 1e6
        rows[name] = {"strict_us": round(strict, 2), "lenient_us": round(lenient, 2)}
        print(f"{name:24} {strict:15.2f} {lenient:16.2f} {lenient / strict:8.2f}x")
    print(json.dumps({"calls": args.calls, "results": rows}))


if __name__ == "__main__":
    main()
