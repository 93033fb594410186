"""Transactional outbox: events are written in the same transaction as the state change.

The relay (relay.py) publishes them afterwards; nothing is ever published straight
from a request or message handler.
"""

import json

from contracts import Event
from sqlalchemy import (
    BigInteger, Column, DateTime, Index, Integer, MetaData, Table, Text, func, insert, text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

NOTIFY_CHANNEL = "outbox"


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("topic", Text, nullable=False),
        Column("key", Text),
        Column("payload", JSONB, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
        Index("outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )


def event_headers(event: Event) -> dict[str, str]:
    return {
        "event_type": event.event_type,
        "event_id": str(event.event_id),
        "correlation_id": str(event.correlation_id),
        "content-type": "application/json",
    }


async def add_to_outbox(conn: AsyncConnection, table: Table, *events: Event) -> None:
    """Queue events for publishing; they leave only if the surrounding transaction commits."""
    if not events:
        return
    await conn.execute(
        insert(table),
        [
            {
                "topic": e.topic,
                "key": e.partition_key(),
                "payload": json.loads(e.model_dump_json()),
                "headers": event_headers(e),
            }
            for e in events
        ],
    )
    # Delivered to the relay on commit only, so it wakes exactly when there is work.
    await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
