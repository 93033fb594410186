"""Inbox: the record of events a consumer has already applied, so a redelivery changes nothing."""

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


async def record_if_new(conn: AsyncConnection, consumer: str, event_id: UUID) -> bool:
    """Record the event for this consumer; False if it was already applied.

    Must run in the transaction that applies the event's effect.
    """
    result = await conn.execute(
        text(
            "INSERT INTO inbox (consumer, event_id) VALUES (:consumer, :event_id) "
            "ON CONFLICT DO NOTHING RETURNING 1"
        ),
        {"consumer": consumer, "event_id": event_id},
    )
    return result.first() is not None
