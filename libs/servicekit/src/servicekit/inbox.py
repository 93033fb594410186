"""Inbox: the record of events a consumer has already applied, so a redelivery changes nothing."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Column, DateTime, MetaData, Table, Text, func, text
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncConnection


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", PG_UUID(as_uuid=True), primary_key=True),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


# Made once: a statement built on every call costs its parsing every time.
_RECORD = text("INSERT INTO inbox (consumer, event_id) VALUES (:consumer, :event_id) "
               "ON CONFLICT DO NOTHING RETURNING 1")
_CLAIM = text("INSERT INTO inbox (consumer, event_id) SELECT :consumer, unnest(CAST(:event_ids AS uuid[])) "
              "ON CONFLICT DO NOTHING RETURNING event_id")
_RELEASE = text("DELETE FROM inbox WHERE consumer = :consumer AND event_id = ANY(CAST(:event_ids AS uuid[]))")


async def record_if_new(conn: AsyncConnection, consumer: str, event_id: UUID) -> bool:
    """Record the event for this consumer; False if it was already applied.

    Must run in the transaction that applies the event's effect.
    """
    result = await conn.execute(_RECORD, {"consumer": consumer, "event_id": event_id})
    return result.first() is not None


async def claim_new(conn: AsyncConnection, consumer: str, event_ids: Sequence[UUID]) -> set[UUID]:
    """Record a batch of events for this consumer in one statement; the ids that were new.

    As record_if_new, must run in the transaction that applies their effects.
    """
    if not event_ids:
        return set()
    result = await conn.execute(_CLAIM, {"consumer": consumer, "event_ids": list(dict.fromkeys(event_ids))})
    return set(result.scalars())


async def release(conn: AsyncConnection, consumer: str, event_ids: Sequence[UUID]) -> None:
    """Take back claims made in this transaction for events it did not apply, so a later delivery
    applies them (what rolling back record_if_new's transaction does on the per-message path)."""
    if event_ids:
        await conn.execute(_RELEASE, {"consumer": consumer, "event_ids": list(event_ids)})
