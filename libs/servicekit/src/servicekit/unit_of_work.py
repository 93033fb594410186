"""What every service's SQL unit of work has: one connection in one transaction, the inbox's
record of consumed events, the Idempotency-Key records and the outbox, each on the service's own
tables. A service's unit of work adds the stores of what it owns."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Self
from uuid import UUID

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .idempotency import SqlIdempotency
from .inbox import record_if_new
from .outbox import SqlOutbox


class SqlUnitOfWork:
    """Over one connection in one transaction: `begin` opens and commits it (rolled back on any
    error); a consumer's handler joins the one its event was recorded in (the inbox)."""

    idempotency_table: ClassVar[Table]
    outbox_table: ClassVar[Table]

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.idempotency = SqlIdempotency(conn, self.idempotency_table)
        self.outbox = SqlOutbox(conn, self.outbox_table)

    @classmethod
    @contextlib.asynccontextmanager
    async def begin(cls, engine: AsyncEngine, *args: Any, **kwargs: Any) -> AsyncIterator[Self]:
        """A unit of work in a transaction of its own; the rest goes to the service's constructor."""
        async with engine.begin() as conn:
            yield cls(conn, *args, **kwargs)

    async def record_if_new(self, consumer: str, event_id: UUID) -> bool:
        """Record a consumed event (the inbox); False if this consumer applied it already."""
        return await record_if_new(self.conn, consumer, event_id)
