"""Retry policy for registry requests: exponential backoff with jitter.

The knobs mirror `ec`'s flags (`--retry-max-retry`, `--retry-duration`,
`--retry-factor`, `--retry-jitter`, `--retry-max-wait`) with `ec`'s defaults.
Which answers are retried follows the OCI distribution spec's advice that
429 TOOMANYREQUESTS and 5xx are transient; a `Retry-After` header, when the
registry sends one, is honoured up to `max_wait`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """`max_retry` further attempts after the first; waits grow by `factor` from `duration`."""

    max_retry: int = 3
    duration: float = 1.0
    factor: float = 2.0
    jitter: float = 0.1
    max_wait: float = 3.0

    def __post_init__(self) -> None:
        if self.max_retry < 0:
            raise ValueError(f"retry max-retry must be >= 0, got {self.max_retry}")
        if self.duration < 0 or self.max_wait < 0:
            raise ValueError("retry duration and max-wait must be >= 0")
        if self.factor < 1:
            raise ValueError(f"retry factor must be >= 1, got {self.factor}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"retry jitter must be within [0, 1], got {self.jitter}")

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to sleep before retry number `attempt` (1-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_wait)
        base = self.duration * self.factor ** (attempt - 1)
        base *= 1 + random.uniform(-self.jitter, self.jitter)
        return max(0.0, min(base, self.max_wait))


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds; HTTP-date forms are ignored (backoff applies)."""
    if not value:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None
