"""Load shedding: a bounded number of requests in flight per process, a fast 503 past it.

A process that takes every request it is sent only makes each one slower: past what its
database pool and its event loop can serve, requests queue for a connection until the caller
gives up, so a burst ends in a pile of timeouts and the work done for them is wasted. Counting
the requests in flight and refusing the one past the bound at once, with a 503 problem and
Retry-After, keeps the accepted ones fast and tells the caller (the gateway, a client) to come
back shortly. A request counts from its arrival until its last response byte is sent, so a
streamed export holds its place for as long as it holds a database connection.

The probes and the metrics are never shed: an orchestrator must still see a busy process
alive and ready (it is serving; shedding is not failing), and Prometheus must see the shedding.
"""

from collections.abc import Iterable

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from .http import Problem, render_problem
from .metrics import HTTP_IN_FLIGHT, HTTP_SHED

# Long enough for a burst to drain, short enough that a refused user hardly notices.
RETRY_AFTER_SECONDS = 1
NEVER_SHED = ("/health", "/ready", "/metrics")


class ShedLoad:
    """ASGI middleware: at most `max_in_flight` HTTP requests at a time, the rest a 503 at once."""

    def __init__(self, app: ASGIApp, *, service: str, max_in_flight: int,
                 never_shed: Iterable[str] = NEVER_SHED) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.app = app
        self.service = service
        self.max_in_flight = max_in_flight
        self.never_shed = frozenset(never_shed)
        self.in_flight = 0
        self._gauge = HTTP_IN_FLIGHT.labels(service)
        self._shed = HTTP_SHED.labels(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.never_shed:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            # One event loop per process: the check and the increment below cannot interleave.
            self._shed.inc()
            await render_problem(busy(self.service))(scope, receive, send)
            return
        self.in_flight += 1
        self._gauge.set(self.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self._gauge.set(self.in_flight)


def busy(who: str) -> Problem:
    """The answer to a request refused for load: 503, problem details, Retry-After."""
    return Problem(503, "Service unavailable", f"the {who} service is busy; try again in a moment",
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def install_load_shedding(app: FastAPI, service: str, max_in_flight: int) -> None:
    """Install last, after every other middleware, so a refused request costs nothing else."""
    app.add_middleware(ShedLoad, service=service, max_in_flight=max_in_flight)
