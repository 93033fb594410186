"""A token bucket per client address for the public endpoints."""

import ipaddress
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


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(spec: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR blocks, e.g. "10.0.0.0/8, 127.0.0.1"."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def client_address(peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The visitor's address. Behind trusted proxies (an ingress, a load balancer) it is the
    right-most X-Forwarded-For entry no trusted proxy added; anyone else's header is ignored,
    since a visitor could write any address there to dodge the limit."""
    chain = [peer or "unknown"]
    if forwarded_for:
        chain = [part.strip() for part in forwarded_for.split(",") if part.strip()] + chain
    for address in reversed(chain):
        if not _is_trusted(address, trusted):
            return address
    return chain[0]


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


async def limit_public(request: Request) -> None:
    # async: checked on the event loop, as a worker thread would cost more than the check.
    limiter: RateLimiter = request.app.state.public_limiter
    peer = request.client.host if request.client else None
    client = client_address(peer, request.headers.get("x-forwarded-for"), request.app.state.trusted_proxies)
    if not limiter.allow(client):
        raise Problem(429, "Too many requests", "slow down and try again in a minute")
