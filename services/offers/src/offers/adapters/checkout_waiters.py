"""Lets a visitor's status request wait for the payment link instead of polling.

Whichever replica applies PaymentLinkIssued notifies `checkout_ready` with the checkout id;
every replica listens and wakes the requests waiting for that checkout.
"""

import asyncio
import contextlib
import logging
from collections import defaultdict
from uuid import UUID

import asyncpg
from servicekit.db import asyncpg_dsn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger("offers.checkout_waiters")
CHANNEL = "checkout_ready"


async def announce_ready(conn: AsyncConnection, checkout_id: UUID) -> None:
    """The checkout changed; delivered on commit, so a woken request reads the change."""
    await conn.execute(text("SELECT pg_notify(:channel, :id)"), {"channel": CHANNEL, "id": str(checkout_id)})


class CheckoutWaiters:
    def __init__(self, database_url: str) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._waiting: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._keep_listening())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()

    async def _keep_listening(self) -> None:
        while True:
            try:
                if self._conn is None or self._conn.is_closed():
                    self._conn = await asyncpg.connect(self._dsn)
                    await self._conn.add_listener(CHANNEL, self._on_notify)
                    # Anyone who waited while we were not listening re-reads now.
                    self._wake_all()
                await asyncio.sleep(2)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("checkout listener lost, reconnecting: %r", exc)
                await asyncio.sleep(1)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        for event in self._waiting.get(payload, ()):
            event.set()

    def _wake_all(self) -> None:
        for events in self._waiting.values():
            for event in events:
                event.set()

    @contextlib.contextmanager
    def watch(self, checkout_id: UUID):  # type: ignore[no-untyped-def]
        """Register before reading the status, so a notification in between is not missed."""
        key, event = str(checkout_id), asyncio.Event()
        self._waiting[key].add(event)
        try:
            yield event
        finally:
            self._waiting[key].discard(event)
            if not self._waiting[key]:
                del self._waiting[key]
