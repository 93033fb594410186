"""Load shedding: a bounded number of requests in flight per process, a fast 503 past it.

A process that takes every request it is sent only makes each one slower: past what its
database pool and its event loop can serve, requests queue for a connection until the caller
gives up, so a burst ends in a pile of timeouts and the work done for them is wasted. Counting
the requests in flight and refusing the one past the bound at once, with a 503 problem and
Retry-After, keeps the accepted ones fast and tells the caller (the gateway, a client) to come
back shortly. A request counts from its arrival until its last response byte is sent, so a
streamed export holds its place for as long as it holds a database connection.

A bound on the count is not enough when the process's CPU is the limit: each request it took
then waits for the CPU, new connections wait in the kernel's accept queue where no count sees
them, and a burst ends in timeouts all the same. So the event loop's lag is watched too (how
late a 50 ms timer fires, twice running): while the loop is more than MAX_LOOP_LAG behind, new
requests are refused, which costs a fraction of a millisecond each against the many
milliseconds of serving one, so the loop catches up and the refusals stay fast.

The probes and the metrics are never shed: an orchestrator must still see a busy process
alive and ready (it is serving; shedding is not failing), and Prometheus must see the shedding.
"""

import asyncio
from collections.abc import Iterable

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from .http import Problem, render_problem
from .metrics import EVENT_LOOP_LAG, HTTP_IN_FLIGHT, HTTP_SHED

# Long enough for a burst to drain, short enough that a refused user hardly notices.
RETRY_AFTER_SECONDS = 1
NEVER_SHED = ("/health", "/ready", "/metrics")
# Behind by this much, the loop cannot keep up with what it has: a request taken now would wait
# at least this long for the CPU. Well above a pause for garbage collection or a slow query's
# decoding, well below any caller's timeout.
MAX_LOOP_LAG = 0.25
LAG_PROBE_INTERVAL = 0.05
# The lag probe stops after this long without a request (an idle process, an app a test left).
LAG_PROBE_IDLE_STOP = 5.0


class ShedLoad:
    """ASGI middleware: at most `max_in_flight` HTTP requests at a time, the rest a 503 at once."""

    def __init__(self, app: ASGIApp, *, service: str, max_in_flight: int, max_loop_lag: float = MAX_LOOP_LAG,
                 never_shed: Iterable[str] = NEVER_SHED) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.app = app
        self.service = service
        self.max_in_flight = max_in_flight
        self.never_shed = frozenset(never_shed)
        self.max_loop_lag = max_loop_lag
        self.in_flight = 0
        self._last_late = 0.0  # how late the lag probe woke the last time
        self._due = 0.0  # when it is due to wake next
        self._last_request = 0.0
        self._probe: asyncio.Task[None] | None = None
        self._gauge = HTTP_IN_FLIGHT.labels(service)
        self._lag_gauge = EVENT_LOOP_LAG.labels(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.never_shed:
            await self.app(scope, receive, send)
            return
        self._watch_lag()
        reason = ("in_flight" if self.in_flight >= self.max_in_flight
                  else "loop_lag" if self.loop_lag() > self.max_loop_lag else None)
        if reason:
            # One event loop per process: the check and the increment below cannot interleave.
            HTTP_SHED.labels(self.service, reason).inc()
            await render_problem(busy(self.service))(scope, receive, send)
            return
        self.in_flight += 1
        self._gauge.set(self.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self._gauge.set(self.in_flight)

    def _watch_lag(self) -> None:
        loop = asyncio.get_running_loop()
        self._last_request = loop.time()
        if self._probe is None or self._probe.done() or self._probe.get_loop() is not loop:
            self._probe = loop.create_task(self._probe_lag())

    async def _probe_lag(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while loop.time() - self._last_request < LAG_PROBE_IDLE_STOP:
                self._due = loop.time() + LAG_PROBE_INTERVAL
                await asyncio.sleep(LAG_PROBE_INTERVAL)
                self._last_late = max(0.0, loop.time() - self._due)
                self._lag_gauge.set(self._last_late)
        finally:
            self._last_late = 0.0

    def loop_lag(self) -> float:
        """How far behind the loop is: the lesser of how late the probe last woke and how late it
        is now. One long pause (a big answer encoded, a collection) is not overload; a loop late
        time after time is, and this sees it within a batch of requests, before the probe runs."""
        overdue = asyncio.get_running_loop().time() - self._due
        return max(0.0, min(self._last_late, overdue))


def busy(who: str) -> Problem:
    """The answer to a request refused for load: 503, problem details, Retry-After."""
    return Problem(503, "Service unavailable", f"the {who} service is busy; try again in a moment",
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def install_load_shedding(app: FastAPI, service: str, max_in_flight: int) -> None:
    """Install last, after every other middleware, so a refused request costs nothing else."""
    app.add_middleware(ShedLoad, service=service, max_in_flight=max_in_flight)
