"""The outbox relay: publishes outbox rows in order, once committed.

- Wakes on commit (LISTEN/NOTIFY from add_to_outbox), with a slow poll as a safety net.
- One publisher per database at a time: it holds a PostgreSQL advisory lock on its
  listening connection; a replica that cannot take it stands by and retries. If that
  connection dies, the lock goes with it and another replica takes over.
- Rows are published strictly in id order, each confirmed by the broker before the
  next, so per-key order holds; a failed publish is retried with capped backoff from
  that row on. A row is marked published only after the broker confirmed it, so a
  crash can only cause a duplicate, which consumers' inboxes absorb.
"""

import asyncio
import contextlib
import logging
import time

import asyncpg
from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from .db import asyncpg_dsn
from .metrics import OUTBOX_LAG, OUTBOX_PUBLISHED, OUTBOX_FAILURES
from .outbox import NOTIFY_CHANNEL

log = logging.getLogger("servicekit.relay")

# Any 64-bit number works; the same one in every replica of one service's database.
RELAY_LOCK_ID = 0x6F7574626F78  # "outbox"


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        broker: KafkaBroker,
        *,
        service: str,
        batch_size: int = 200,
        poll_interval: float = 1.0,
        max_backoff: float = 5.0,
        retention_hours: int = 24,
    ) -> None:
        self._engine = engine
        self._broker = broker
        self._service = service
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._retention_hours = retention_hours
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self.is_leader = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self._service}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._drop_listener()

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        backoff = 0.1
        last_prune = last_lag = 0.0
        while True:
            try:
                if not await self._ensure_leader():
                    await asyncio.sleep(2.0)
                    continue
                published = await self.publish_pending()
                backoff = 0.1
                if time.monotonic() - last_prune > 600:
                    await self._prune()
                    last_prune = time.monotonic()
                if time.monotonic() - last_lag > 5:
                    await self._measure_lag()
                    last_lag = time.monotonic()
                if published < self._batch_size:
                    await self._wait_for_work()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database trouble: back off, never spin
                OUTBOX_FAILURES.labels(self._service).inc()
                log.warning("outbox relay failed, retrying in %.1fs: %r", backoff, exc)
                if self._listener is not None and self._listener.is_closed():
                    await self._drop_listener()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._poll_interval)
        self._wake.clear()

    async def _ensure_leader(self) -> bool:
        if self._listener is not None and not self._listener.is_closed() and self.is_leader:
            return True
        await self._drop_listener()
        conn = await asyncpg.connect(asyncpg_dsn(self._engine.url.render_as_string(hide_password=False)))
        got = await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_ID)
        if not got:
            await conn.close()
            return False
        await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        self._listener = conn
        self.is_leader = True
        log.info("outbox relay of %s is publishing", self._service)
        return True

    async def _drop_listener(self) -> None:
        self.is_leader = False
        conn, self._listener = self._listener, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.close()

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows in order; returns how many were published."""
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT id, topic, key, payload, headers, created_at FROM outbox "
                        "WHERE published_at IS NULL ORDER BY id LIMIT :n"
                    ),
                    {"n": self._batch_size},
                )
            ).all()
        if not rows:
            return 0
        done: list[int] = []
        try:
            for row in rows:
                await self._broker.publish(
                    row.payload,
                    row.topic,
                    key=row.key.encode() if row.key else None,
                    headers=row.headers,
                    correlation_id=row.headers.get("correlation_id"),
                )
                done.append(row.id)
        except Exception as exc:
            await self._mark(done, failed=rows[len(done)].id, error=repr(exc))
            raise
        await self._mark(done)
        OUTBOX_PUBLISHED.labels(self._service).inc(len(done))
        return len(done)

    async def _mark(self, ids: list[int], *, failed: int | None = None, error: str = "") -> None:
        async with self._engine.begin() as conn:
            if ids:
                await conn.execute(
                    text("UPDATE outbox SET published_at = now() WHERE id = ANY(:ids)"), {"ids": ids}
                )
            if failed is not None:
                await conn.execute(
                    text("UPDATE outbox SET attempts = attempts + 1, last_error = :e WHERE id = :id"),
                    {"id": failed, "e": error[:2000]},
                )

    async def _measure_lag(self) -> None:
        # Every few seconds, not per batch: it is a metric, not part of publishing.
        async with self._engine.connect() as conn:
            lag = await conn.scalar(
                text(
                    "SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0) "
                    "FROM outbox WHERE published_at IS NULL"
                )
            )
        OUTBOX_LAG.labels(self._service).set(float(lag or 0))

    async def _prune(self) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM outbox WHERE published_at < now() - make_interval(hours => :h)"),
                {"h": self._retention_hours},
            )
