"""Prometheus metrics of the webhook, in the text exposition format (no client library needed).

Counters of requests (by path and HTTP code) and decisions (by path and
outcome), a latency histogram per path, lookups by result, and the bundle
revision as an info gauge.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import defaultdict
from itertools import accumulate

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    def esc(v: str) -> str:
        return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in pairs) + "}" if pairs else ""


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[tuple[str, str], ...], int] = defaultdict(int)
        self.decisions: dict[tuple[tuple[str, str], ...], int] = defaultdict(int)
        self.lookups: dict[tuple[tuple[str, str], ...], int] = defaultdict(int)
        self.latency: dict[str, list[int]] = {}
        self.latency_sum: dict[str, float] = defaultdict(float)
        self.latency_count: dict[str, int] = defaultdict(int)
        self.bundle_revision = ""
        self.bundle_origin = ""

    def request(self, path: str, code: int, seconds: float) -> None:
        with self._lock:
            self.requests[(("path", path), ("code", str(code)))] += 1
            # One count per request in its own bucket (the last one is +Inf); cumulated on render.
            counts = self.latency.setdefault(path, [0] * (len(BUCKETS) + 1))
            counts[bisect_left(BUCKETS, seconds)] += 1
            self.latency_sum[path] += seconds
            self.latency_count[path] += 1

    def decision(self, path: str, outcome: str) -> None:
        with self._lock:
            self.decisions[(("path", path), ("decision", outcome))] += 1

    def lookup(self, kind: str, result: str) -> None:
        with self._lock:
            self.lookups[(("lookup", kind), ("result", result))] += 1

    def render(self, engine: tuple[int, int] | None = None) -> str:
        """The exposition text; `engine` is (OPA evaluations, requests they decided)."""
        lines: list[str] = []
        with self._lock:
            lines += [
                "# HELP konflux_webhook_requests_total HTTP requests by path and code.",
                "# TYPE konflux_webhook_requests_total counter",
            ]
            lines += [
                f"konflux_webhook_requests_total{_labels(k)} {v}"
                for k, v in sorted(self.requests.items())
            ]
            lines += [
                "# HELP konflux_webhook_decisions_total Admission decisions by outcome.",
                "# TYPE konflux_webhook_decisions_total counter",
            ]
            lines += [
                f"konflux_webhook_decisions_total{_labels(k)} {v}"
                for k, v in sorted(self.decisions.items())
            ]
            lines += [
                "# HELP konflux_webhook_lookups_total Kubernetes API lookups by result.",
                "# TYPE konflux_webhook_lookups_total counter",
            ]
            lines += [
                f"konflux_webhook_lookups_total{_labels(k)} {v}"
                for k, v in sorted(self.lookups.items())
            ]
            name = "konflux_webhook_request_duration_seconds"
            lines += [f"# HELP {name} Request latency.", f"# TYPE {name} histogram"]
            for path in sorted(self.latency):
                for bound, count in zip(BUCKETS, accumulate(self.latency[path]), strict=False):
                    lines.append(
                        f"{name}_bucket{_labels((('path', path), ('le', str(bound))))} {count}"
                    )
                total = self.latency_count[path]
                lines.append(f"{name}_bucket{_labels((('path', path), ('le', '+Inf')))} {total}")
                lines.append(f"{name}_sum{_labels((('path', path),))} {self.latency_sum[path]}")
                lines.append(f"{name}_count{_labels((('path', path),))} {total}")
            if engine is not None:
                for name, help_text, value in (
                    ("evaluations", "Policy evaluations (a batch of requests is one).", engine[0]),
                    ("evaluated_requests", "Requests decided by those evaluations.", engine[1]),
                ):
                    lines += [
                        f"# HELP konflux_webhook_{name}_total {help_text}",
                        f"# TYPE konflux_webhook_{name}_total counter",
                        f"konflux_webhook_{name}_total {value}",
                    ]
            lines += [
                "# HELP konflux_webhook_bundle_info The loaded policy bundle.",
                "# TYPE konflux_webhook_bundle_info gauge",
            ]
            if self.bundle_revision:
                labels = (("revision", self.bundle_revision), ("origin", self.bundle_origin))
                lines.append(f"konflux_webhook_bundle_info{_labels(labels)} 1")
        return "\n".join(lines) + "\n"
