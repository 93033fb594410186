"""The payments worker: wanted provider links, scheduled reminders and overdue payments.

Every replica runs one; rows are claimed with SKIP LOCKED (links with a lease), so replicas
share the work and a restart only delays it. It wakes on NOTIFY when a link is wanted, and
polls as a safety net and for reminders coming due.
"""

import asyncio
import contextlib
import logging

import asyncpg
from servicekit.db import asyncpg_dsn
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service
from ..adapters.repository import LINKS_CHANNEL
from ..adapters.sealing import Sealer
from ..service import Providers

log = logging.getLogger("payments.worker")


class PaymentsWorker:
    def __init__(self, engine: AsyncEngine, providers: Providers, sealer: Sealer, *,
                 poll_interval: float = 1.0) -> None:
        self._engine = engine
        self._providers = providers
        self._sealer = sealer
        self._poll = poll_interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="payments-worker")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._drop_listener()

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        """One pass over everything due; returns how much was done."""
        done = await service.issue_pending_links(self._engine, self._providers, self._sealer)
        done += await service.send_due_reminders(self._engine, self._providers)
        done += await service.mark_overdue(self._engine)
        return done

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                await self._listen()
                done = await self.run_once()
                backoff = 0.1
                if not done:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll)
                    self._wake.clear()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database trouble: back off, never spin
                log.warning("payments worker failed, retrying in %.1fs: %r", backoff, exc)
                await self._drop_listener()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def _listen(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        conn = await asyncpg.connect(asyncpg_dsn(self._engine.url.render_as_string(hide_password=False)))
        await conn.add_listener(LINKS_CHANNEL, lambda *_: self._wake.set())
        self._listener = conn

    async def _drop_listener(self) -> None:
        conn, self._listener = self._listener, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.close()
