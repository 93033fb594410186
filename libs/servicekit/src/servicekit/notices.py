"""PostgreSQL notices (LISTEN/NOTIFY) for a whole process, over one connection.

A service's workers and waiting requests each want to hear of a commit: the email sender of a
new delivery, the payments worker of a wanted link, a visitor's status request of its checkout.
One connection per process listens on every channel any of them wants and fans each notice out:
`wake_on(channel)` is an event set on every notice of the channel (a worker's wake-up),
`watch(channel, payload)` one set on the notices carrying that payload (a request waiting for
one row).

A notice is a hint, never the only way work is found: whoever waits also reads on a timer.
When the connection is lost, every waiter is woken (a notice may have been missed meanwhile)
and the connection is made again after a pause, never in a hot loop.
"""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from .db import asyncpg_dsn
from .backoff import Backoff
from .tasks import cancel_and_wait

log = logging.getLogger("servicekit.notices")


class Notices:
    def __init__(self, dsn: str | Callable[[], str], *, check_every: float = 2.0,
                 backoff: Backoff = Backoff(first=0.5, cap=5.0)) -> None:
        self._dsn = dsn if callable(dsn) else (lambda: dsn)
        self._check_every = check_every
        self._backoff = backoff
        self._wakes: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._watches: dict[tuple[str, str], set[asyncio.Event]] = defaultdict(set)
        self._listening: set[str] = set()
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self.connected = asyncio.Event()

    @classmethod
    def of(cls, engine: AsyncEngine) -> "Notices":
        # Read when it first connects: a process that never waits for a notice never asks.
        return cls(lambda: asyncpg_dsn(engine.url.render_as_string(hide_password=False)))

    # -- waiting ---------------------------------------------------------------------------
    def wake_on(self, channel: str) -> asyncio.Event:
        """An event set on every notice of `channel` (and when notices may have been missed);
        the waiter clears it before it reads."""
        event = asyncio.Event()
        self._wakes[channel].add(event)
        self._changed.set()
        return event

    @contextlib.contextmanager
    def watch(self, channel: str, payload: str) -> Iterator[asyncio.Event]:
        """Register before reading, so a notice that comes in between is not missed."""
        key, event = (channel, payload), asyncio.Event()
        self._watches[key].add(event)
        self._changed.set()
        try:
            yield event
        finally:
            self._watches[key].discard(event)
            if not self._watches[key]:
                del self._watches[key]

    # -- the connection --------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._keep_listening(), name="notices")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        await self._drop()

    def _channels(self) -> set[str]:
        return set(self._wakes) | {channel for channel, _ in self._watches}

    async def _keep_listening(self) -> None:
        failures = 0
        while True:
            try:
                if not self._channels():  # nobody waits for anything (yet): no connection
                    self._changed.clear()
                    await self._changed.wait()
                    continue
                if self._conn is None or self._conn.is_closed():
                    await self._drop()
                    self._conn = await asyncpg.connect(self._dsn())
                    self._listening = set()
                for channel in self._channels() - self._listening:
                    await self._conn.add_listener(channel, self._on_notice)
                    self._listening.add(channel)
                if not self.connected.is_set():
                    self.connected.set()
                    self._wake_all()  # whoever waited while nobody listened reads again now
                failures = 0
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), self._check_every)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = self._backoff.delay(failures)
                log.warning("listening for notices failed, again in %.1fs: %r", delay, exc)
                await self._drop()
                self._wake_all()
                await asyncio.sleep(delay)

    def _on_notice(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        for event in self._wakes.get(channel, ()):
            event.set()
        for event in self._watches.get((channel, payload), ()):
            event.set()

    def _wake_all(self) -> None:
        for events in [*self._wakes.values(), *self._watches.values()]:
            for event in events:
                event.set()

    async def _drop(self) -> None:
        self.connected.clear()
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)
