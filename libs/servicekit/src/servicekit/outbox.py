"""Transactional outbox: events are written in the same transaction as the state change.

The relay (relay.py) publishes them afterwards; nothing is ever published straight
from a request or message handler.
"""

import contextlib
import json
from collections.abc import AsyncIterator, Iterable
from contextvars import ContextVar
from typing import Any

from alembic import op
from contracts import Event
from sqlalchemy import (
    DDL, BigInteger, Column, DateTime, Index, Integer, MetaData, Table, Text, TextClause, event, func, text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import driver_connection

NOTIFY_CHANNEL = "outbox"

# The relay wakes on commit: a statement trigger notifies once per inserting statement, and
# PostgreSQL delivers it only if the transaction commits. In the database rather than in
# add_to_outbox, so it costs no extra round trip. Every service's first migration runs it.
OUTBOX_NOTIFY_DDL: tuple[str, ...] = (
    f"""CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{NOTIFY_CHANNEL}', '');
  RETURN NULL;
END $$""",
    "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()",
)
OUTBOX_NOTIFY_DROP: tuple[str, ...] = (
    "DROP TRIGGER IF EXISTS outbox_notify ON outbox",
    "DROP FUNCTION IF EXISTS outbox_notify()",
)


def placement_columns() -> list[Column[Any]]:
    """Where the broker acknowledged the row: the relay compares them with the broker's end
    offsets to notice a broker that lost what it had acknowledged (see relay.py)."""
    return [Column("kafka_partition", Integer), Column("kafka_offset", BigInteger)]


def add_placement() -> None:
    """In a service's migration: the placement columns on an outbox made before it had them.

    Every service's outbox got them this way (offers' 0007, orders' and payments' 0006,
    notifications' 0008); an outbox made from `outbox_table` has them already.
    """
    for column in placement_columns():
        op.add_column("outbox", column)


def drop_placement() -> None:
    for column in reversed(placement_columns()):
        op.drop_column("outbox", column.name)


def outbox_table(metadata: MetaData) -> Table:
    table = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("topic", Text, nullable=False),
        Column("key", Text),
        Column("payload", JSONB, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        *placement_columns(),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
        Index("outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )
    for ddl in OUTBOX_NOTIFY_DDL:
        event.listen(table, "after_create", DDL(ddl))
    return table


def event_headers(event: Event) -> dict[str, str]:
    return {
        "event_type": event.event_type,
        "event_id": str(event.event_id),
        "correlation_id": str(event.correlation_id),
        "content-type": "application/json",
    }


async def add_to_outbox(conn: AsyncConnection, table: Table, *events: Event) -> None:
    """Queue events for publishing; they leave only if the surrounding transaction commits.

    Inside `deferred(conn)` they are held and written with the others when it ends (still in the
    transaction); otherwise they are written now."""
    if not events:
        return
    held = _DEFERRED.get()
    if held is not None and held.conn is conn:
        held.events.setdefault(table, []).extend(events)
        return
    await _insert(conn, table, events)


class _Held:
    __slots__ = ("conn", "events")

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.events: dict[Table, list[Event]] = {}


_DEFERRED: ContextVar[_Held | None] = ContextVar("outbox_deferred", default=None)


@contextlib.asynccontextmanager
async def deferred(conn: AsyncConnection) -> AsyncIterator[None]:
    """Every event added to an outbox on `conn` inside the block is written in one insert when the
    block ends without an error (nothing is written when it raises: the caller rolls back).

    The batch consumer applies a poll's events in one transaction this way: fifty handlers that
    each announce an event cost one statement, not fifty. Their ids keep the order the handlers
    added them in, so the relay publishes each key's events in that order, as it would have."""
    held = _Held(conn)
    token = _DEFERRED.set(held)
    try:
        yield
    finally:
        _DEFERRED.reset(token)
    for table, events in held.events.items():
        await _insert(conn, table, events)


async def _insert(conn: AsyncConnection, table: Table, events: Iterable[Event]) -> None:
    # The event's own JSON as it is (not parsed and dumped again), straight to asyncpg in the
    # use case's transaction (db.driver_connection): every use case that announces sends one.
    # All of them in one statement of four arrays: one execution however many there are, where
    # executemany runs the insert once per event; the rows take their ids in the events' order.
    await (await driver_connection(conn)).execute(
        _RAW_INSERT if table.name == "outbox" else _raw_insert_into(table.name), *_columns(events))


def _columns(events: Iterable[Event]) -> tuple[list[str], list[str], list[str], list[str]]:
    """The outbox insert's four arrays: topics, partition keys, payloads and headers as JSON text."""
    topics: list[str] = []
    keys: list[str] = []
    payloads: list[str] = []
    headers: list[str] = []
    for e in events:
        topics.append(e.topic)
        keys.append(e.partition_key())
        payloads.append(e.model_dump_json())
        headers.append(json.dumps(event_headers(e)))
    return topics, keys, payloads, headers


class SqlOutbox:
    """A unit of work's outbox: the service's own table, on the transaction's connection."""

    def __init__(self, conn: AsyncConnection, table: Table) -> None:
        self.conn = conn
        self.table = table

    async def add(self, *events: Event) -> None:
        await add_to_outbox(self.conn, self.table, *events)  # no statement when there is none


def _raw_insert_into(name: str) -> str:
    return (f"INSERT INTO {name} (topic, key, payload, headers) "  # noqa: S608 - a table name of ours
            "SELECT topic, key, payload::jsonb, headers::jsonb "
            "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY "
            "AS e(topic, key, payload, headers, n) ORDER BY n")


_RAW_INSERT = _raw_insert_into("outbox")


def _insert_into(name: str) -> TextClause:
    return text(f"INSERT INTO {name} (topic, key, payload, headers) "  # noqa: S608 - a table name of ours
                "VALUES (:topic, :key, CAST(:payload AS jsonb), CAST(:headers AS jsonb))")


_INSERT = _insert_into("outbox")


def announce_from_migration(bind: Connection, events: Iterable[Event]) -> int:
    """Queue events from a migration (alembic's synchronous connection, in its transaction), for
    facts that existed before the event announcing them did; the relay publishes them like any
    other. Returns how many."""
    rows = [{"topic": e.topic, "key": e.partition_key(), "payload": e.model_dump_json(),
             "headers": json.dumps(event_headers(e))} for e in events]
    if rows:
        bind.execute(_INSERT, rows)
    return len(rows)
