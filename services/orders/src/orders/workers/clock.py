"""The clock worker: expires unpaid orders from offers, and opens or ends access windows on time.

Replicas may all run it: each batch claims its orders with FOR UPDATE SKIP LOCKED, so no
order is handled twice at once, and each order's change commits with its events.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from contracts import utcnow
from servicekit.notices import Notices
from servicekit.workers import PollingWorker
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..settings import Settings

# A use case of the service layer (service/expiry.py) on a connection whose transaction the pass
# opened: main.py binds each to the SQL unit of work.
Pass = Callable[..., Awaitable[int]]

class ClockWorker(PollingWorker):
    name = "orders-clock"

    def __init__(self, engine: AsyncEngine, settings: Settings, _notices: Notices | None = None, *,
                 expire_unpaid: Pass, advance_windows: Pass) -> None:
        # Nothing wakes it but time: expiries and window changes are due at moments, not on commits.
        super().__init__(poll=settings.clock_interval_seconds)
        self._engine = engine
        self._settings = settings
        self._expire_unpaid = expire_unpaid
        self._advance_windows = advance_windows

    async def start(self) -> None:
        if self._settings.clock_interval_seconds > 0:
            await super().start()

    async def run_once(self) -> int:
        return await self.tick()

    async def tick(self, now: datetime | None = None) -> int:
        """One pass as of `now`; the number of orders changed."""
        batch = self._settings.clock_batch_size
        at = now or utcnow()
        done = 0
        steps: tuple[Callable[[AsyncConnection], Awaitable[Any]], ...] = (
            lambda conn: self._expire_unpaid(conn, now=at, limit=batch,
                                             default_days=self._settings.default_unpaid_expiry_days),
            lambda conn: self._advance_windows(conn, now=at, limit=batch),
        )
        for step in steps:
            while True:
                async with self._engine.begin() as conn:
                    changed = await step(conn)
                done += changed
                if changed < batch:
                    break
        return done
