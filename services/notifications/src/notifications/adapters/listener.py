"""Wakes the sender when a consumer commits a new delivery (PostgreSQL LISTEN/NOTIFY)."""

import asyncio
import contextlib

import asyncpg
from servicekit.db import asyncpg_dsn
from sqlalchemy.ext.asyncio import AsyncEngine

from .repository import DELIVERIES_CHANNEL


class DeliveriesListener:
    """A dedicated connection listening on the deliveries channel; sets `woken` on each notice."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._dsn = asyncpg_dsn(engine.url.render_as_string(hide_password=False))
        self._conn: asyncpg.Connection | None = None
        self.woken = asyncio.Event()

    async def ensure(self) -> None:
        """(Re)connect if needed; a lost connection only costs the poll interval, never a delivery."""
        if self._conn is not None and not self._conn.is_closed():
            return
        await self.close()
        conn = await asyncpg.connect(self._dsn)
        await conn.add_listener(DELIVERIES_CHANNEL, lambda *_: self.woken.set())
        self._conn = conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.close()
