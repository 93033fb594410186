"""The clock worker: expires unpaid orders from offers, and opens or ends access windows on time.

Replicas may all run it: each batch claims its orders with FOR UPDATE SKIP LOCKED, so no
order is handled twice at once, and each order's change commits with its events.
"""

import asyncio
import contextlib
import logging
from datetime import datetime

from contracts import utcnow
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service
from ..settings import Settings

log = logging.getLogger("orders.clock")


class ClockWorker:
    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._settings.clock_interval_seconds > 0:
            self._task = asyncio.create_task(self._run(), name="orders-clock")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def tick(self, now: datetime | None = None) -> int:
        """One pass as of `now`; the number of orders changed."""
        batch = self._settings.clock_batch_size
        at = now or utcnow()
        done = 0
        for step in (
            lambda conn: service.expire_unpaid(conn, now=at, limit=batch,
                                               default_days=self._settings.default_unpaid_expiry_days),
            lambda conn: service.advance_windows(conn, now=at, limit=batch),
        ):
            while True:
                async with self._engine.begin() as conn:
                    changed = await step(conn)
                done += changed
                if changed < batch:
                    break
        return done

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database trouble: try again next time, never spin
                log.warning("clock pass failed: %r", exc)
            await asyncio.sleep(self._settings.clock_interval_seconds)
