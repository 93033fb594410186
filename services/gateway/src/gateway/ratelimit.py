"""A token bucket per client address for the public endpoints."""

import time

from fastapi import Request
from servicekit.http import Problem


class RateLimiter:
    def __init__(self, per_minute: int, max_clients: int = 100_000) -> None:
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_clients = max_clients

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        tokens, last = self._buckets.get(client, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - last) * self._rate)
        if len(self._buckets) >= self._max_clients and client not in self._buckets:
            self._buckets.clear()  # crude bound on memory; a flood of addresses only resets everyone's budget
        if tokens < 1:
            self._buckets[client] = (tokens, now)
            return False
        self._buckets[client] = (tokens - 1, now)
        return True


def limit_public(request: Request) -> None:
    limiter: RateLimiter = request.app.state.public_limiter
    client = request.client.host if request.client else "unknown"
    if not limiter.allow(client):
        raise Problem(429, "Too many requests", "slow down and try again in a minute")
