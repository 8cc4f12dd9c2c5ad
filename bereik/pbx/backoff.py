"""When to try AMI again after the connection is lost: capped exponential back-off with jitter.

Pure: the attempt number and a random fraction go in, seconds come out. The jitter
keeps several bereiks (or a restarted Asterisk's many clients) from knocking at
the same moment; the cap keeps the gap after a long outage short.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    first: float = 0.5  # seconds before the first retry
    cap: float = 30.0  # never longer than this
    factor: float = 2.0

    def delay(self, attempt: int, jitter: float) -> float:
        """Seconds before retry `attempt` (0 = the first after a loss); `jitter` in [0, 1).

        "Equal jitter": half the exponential step is fixed, half random, so retries
        spread out but never come sooner than half the step.
        """
        step = min(self.cap, self.first * self.factor ** min(attempt, 64))
        return step / 2 + step / 2 * jitter
