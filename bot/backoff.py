"""One backoff for every retry: the outbox after a failed send, a backend reconnecting to its
chat server. The waits themselves go through the one clock (`Clock.sleep`), so a test moves
time instead of sleeping, and a backend's stop event cuts a wait short.

The wait after the n-th failure in a row is `first`, doubled at each failure, at most
`maximum`, of which a random share between half and all is taken ("equal jitter"): bots that
lost a server together do not all come back at the same instant, and a wait never exceeds
`maximum`.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

# 2**60 times any sensible `first` is past any `maximum`: counting further changes nothing.
_LONGEST_RUN = 60


@dataclass
class Backoff:
    first: float = 1.0
    maximum: float = 60.0
    failures: int = 0  # failures in a row so far, for a loop that keeps its own count
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def delay(self, failures: int) -> float:
        """The wait after the `failures`-th failure in a row (1: the first)."""
        steps = min(max(failures, 1) - 1, _LONGEST_RUN)
        ceiling = min(self.maximum, self.first * 2.0 ** steps)
        return ceiling * self.rng.uniform(0.5, 1.0)

    def failed(self) -> float:
        """Count one more failure in a row; the wait before the next try."""
        self.failures += 1
        return self.delay(self.failures)

    def succeeded(self) -> None:
        """A try worked (or a connection held long enough): the next failure starts over."""
        self.failures = 0
