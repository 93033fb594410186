"""The one backoff policy of the kit's loops: workers, the notices connection, the outbox relay and
the batch consumer's polls."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """The pause after the n-th failure in a row: first, doubled each time, at most cap."""

    first: float = 0.1
    cap: float = 10.0

    def delay(self, failures: int) -> float:
        return min(self.first * 2 ** max(failures - 1, 0), self.cap)
