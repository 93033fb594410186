"""Inbox: the record of events a consumer has already applied, so a redelivery changes nothing."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Column, DateTime, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import driver_connection


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", PG_UUID(as_uuid=True), primary_key=True),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


# Every consumed event sends one of these: straight to asyncpg, prepared once per connection
# (db.driver_connection), in the transaction that applies the event.
_RECORD = "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1"
_RECORD_MANY = ("INSERT INTO inbox (consumer, event_id) SELECT * FROM unnest($1::text[], $2::uuid[]) "
                "ON CONFLICT DO NOTHING RETURNING consumer, event_id")
_RELEASE = "DELETE FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])"


async def record_if_new(conn: AsyncConnection, consumer: str, event_id: UUID) -> bool:
    """Record the event for this consumer; False if it was already applied.

    Must run in the transaction that applies the event's effect.
    """
    return await (await driver_connection(conn)).fetchval(_RECORD, consumer, event_id) is not None


async def record_new(conn: AsyncConnection, consumer: str, event_ids: Sequence[UUID]) -> set[UUID]:
    """Record a batch of events for this consumer in one statement; the ids that were new.

    As record_if_new, must run in the transaction that applies their effects.
    """
    return {event_id for _, event_id in await record_new_of(conn, [(consumer, e) for e in event_ids])}


async def record_new_of(conn: AsyncConnection, records: Sequence[tuple[str, UUID]]) -> set[tuple[str, UUID]]:
    """Record events of several consumers (a poll of several topics) in one statement; the
    (consumer, event id) pairs that were new. As record_if_new, in the applying transaction."""
    pairs = list(dict.fromkeys(records))
    if not pairs:
        return set()
    rows = await (await driver_connection(conn)).fetch(_RECORD_MANY, [c for c, _ in pairs], [e for _, e in pairs])
    return {(row[0], row[1]) for row in rows}


async def release(conn: AsyncConnection, consumer: str, event_ids: Sequence[UUID]) -> None:
    """Take back the records made in this transaction for events it did not apply, so a later
    delivery applies them (what rolling back record_if_new's transaction does on the per-message path)."""
    if event_ids:
        await (await driver_connection(conn)).execute(_RELEASE, consumer, list(event_ids))
