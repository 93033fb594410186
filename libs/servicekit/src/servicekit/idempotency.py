"""Idempotency-Key on creating requests: a repeat gets what the first request made, made once.

One shape for every service. A route takes the key with the `IdempotencyKeyHeader` dependency
and fingerprints its validated body with `fingerprinted`; the use case, inside its own
transaction, asks `made_before` first and calls `remember` once it has created the resource.

- The key is the client's, per scope: a school's account id for the CRM's requests (another
  school's same key is another request), the offer for a public open, which has no account.
- The fingerprint is a sha256 of the route (method and path) and the canonical JSON of the body,
  so a key reused on another route, or with another body, is refused with one 422 problem, and
  nothing is created.
- `made_before` takes a transaction-scoped advisory lock on the scope and key before it looks:
  concurrent first requests queue behind the first one and then find what it made. The record
  is written in the same transaction as the resource, so neither exists without the other.

Each service holds its records in its own database, in the table `idempotency_table` defines;
the service's migration creates it from the same definition.

Records expire: every service process runs an `ExpiredKeysPruner` (runtime.py) that deletes
those older than the service's `idempotency_retention_hours`. A key is honoured for at least
that long and forgotten within a pruning pass after; the same key then makes a new request.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import pydantic_core
from alembic import op
from fastapi import Depends, Header, Request
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, MetaData, Table, Text, func, insert, select, text
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .backoff import Backoff
from .http import Problem
from .workers import PollingWorker

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
TABLE = "idempotent_requests"
# On creation time, for the pruning; created by each service's migration with `create_expiry_index`
# rather than declared on the table, which earlier migrations created without it.
EXPIRY_INDEX = f"{TABLE}_created_at"


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        TABLE,
        metadata,
        Column("scope", Text, primary_key=True),
        Column("key", Text, primary_key=True),
        # NULL only on records carried over from before fingerprints were kept the same way
        # everywhere: those answer any repeat with their resource, as their routes did then.
        Column("fingerprint", Text),
        Column("resource_id", PG_UUID(as_uuid=True), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class IdempotencyKeyReused(Problem):
    """The key was used before, in this scope, for a different request.

    A Problem itself, so every service answers it with the same 422 without mapping it.
    """

    def __init__(self) -> None:
        detail = "this Idempotency-Key was used for a different request"
        super().__init__(422, "Idempotency-Key reused", detail, errors=[{"field": HEADER, "message": detail}])


@dataclass(frozen=True)
class IdempotencyKey:
    """The header's key, and the route it came to."""

    key: str
    route: str


@dataclass(frozen=True)
class Idempotent:
    """A request under a key, as the use case remembers it."""

    key: str
    fingerprint: str


def _bad_key(message: str) -> Problem:
    return Problem(422, "Invalid request", f"Check these fields: {HEADER}",
                   errors=[{"field": HEADER, "message": message}])


async def read_key(
    request: Request,
    value: Annotated[str | None, Header(
        alias=HEADER,
        description="a repeat with the same key and body gets the first result; another body under it is refused",
        # Documented, but checked below: the refusal then names the header as every other one does.
        json_schema_extra={"minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]+$"},
    )] = None,
) -> IdempotencyKey | None:
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_KEY_LENGTH:
        raise _bad_key(f"must be 1 to {MAX_KEY_LENGTH} characters")
    # Printable ASCII only: the key is compared byte for byte, and a header decoded as Latin-1
    # would otherwise let two spellings of one key through.
    if not all(" " <= c <= "~" for c in value):
        raise _bad_key("must be printable ASCII")
    return IdempotencyKey(value, f"{request.method} {request.url.path}")


IdempotencyKeyHeader = Annotated[IdempotencyKey | None, Depends(read_key)]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 10 and 10.00 are one amount
    return pydantic_core.to_jsonable_python(value)


def fingerprint(route: str, body: Any) -> str:
    """sha256 of the route and the canonical JSON of the validated body."""
    if isinstance(body, BaseModel):
        body = body.model_dump()
    canonical = json.dumps({"route": route, "body": body}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False, default=_plain)
    return hashlib.sha256(canonical.encode()).hexdigest()


def fingerprinted(key: IdempotencyKey | None, body: Any) -> Idempotent | None:
    return None if key is None else Idempotent(key.key, fingerprint(key.route, body))


async def made_before(conn: AsyncConnection, table: Table, scope: str, request: Idempotent | None) -> UUID | None:
    """What an earlier request under this key made, or None: go ahead, and `remember` it.

    Raises IdempotencyKeyReused when that request was a different one. Call it inside the
    transaction that creates the resource, before anything else of the use case.
    """
    if request is None:
        return None
    await conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                       {"k": f"{table.name}/{scope}/{request.key}"})
    row = (await conn.execute(
        select(table.c.fingerprint, table.c.resource_id).where(table.c.scope == scope, table.c.key == request.key)
    )).first()
    if row is None:
        return None
    if row.fingerprint is not None and row.fingerprint != request.fingerprint:
        raise IdempotencyKeyReused()
    resource_id: UUID = row.resource_id
    return resource_id


async def remember(conn: AsyncConnection, table: Table, scope: str, request: Idempotent | None,
                   resource_id: UUID) -> None:
    if request is not None:
        await conn.execute(insert(table).values(scope=scope, key=request.key, fingerprint=request.fingerprint,
                                                resource_id=resource_id))


class SqlIdempotency:
    """A unit of work's Idempotency-Key records: the service's own table, on the transaction's connection."""

    def __init__(self, conn: AsyncConnection, table: Table) -> None:
        self.conn = conn
        self.table = table

    async def made_before(self, scope: str, request: Idempotent | None) -> UUID | None:
        return await made_before(self.conn, self.table, scope, request)

    async def remember(self, scope: str, request: Idempotent | None, resource_id: UUID) -> None:
        await remember(self.conn, self.table, scope, request, resource_id)


def create_expiry_index() -> None:
    """In a service's migration: the index the pruning deletes by."""
    op.create_index(EXPIRY_INDEX, TABLE, ["created_at"])


def drop_expiry_index() -> None:
    op.drop_index(EXPIRY_INDEX, table_name=TABLE)


# Rows deleted per transaction: short locks, and a backlog (the first pass after an upgrade)
# goes in passes one after another rather than in one long delete.
PRUNE_BATCH = 1000
# Expiry is counted in hours, so one look every few minutes forgets a key soon enough after.
PRUNE_POLL_SECONDS = 300.0


async def prune_expired(engine: AsyncEngine, retention_hours: int, batch: int = PRUNE_BATCH) -> int:
    """Deletes up to `batch` records older than the retention; how many it deleted.

    Ages are counted by the database's clock, which wrote `created_at`. Replicas of a service
    prune side by side: each skips the rows another is deleting. A database without the table
    (a process with no keyed routes) has nothing to prune.
    """
    async with engine.begin() as conn:
        if await conn.scalar(text("SELECT to_regclass(:t)"), {"t": TABLE}) is None:
            return 0
        result = await conn.execute(text(f"""
            DELETE FROM {TABLE} r USING (
                SELECT scope, key FROM {TABLE}
                WHERE created_at < now() - make_interval(hours => :hours)
                LIMIT :batch FOR UPDATE SKIP LOCKED
            ) expired
            WHERE r.scope = expired.scope AND r.key = expired.key
        """), {"hours": retention_hours, "batch": batch})
        return int(result.rowcount)


class ExpiredKeysPruner(PollingWorker):
    """Forgets Idempotency-Key records past the retention, in every service process."""

    name = "idempotency-pruner"

    def __init__(self, engine: AsyncEngine, retention_hours: int, *, poll: float = PRUNE_POLL_SECONDS,
                 batch: int = PRUNE_BATCH) -> None:
        # Nothing waits on a pass: after a failure (the database is restarting) it tries again
        # slowly, rather than every few seconds as the workers someone waits for do.
        super().__init__(poll=poll, full_batch=batch, backoff=Backoff(first=1.0, cap=poll))
        self.engine = engine
        self.retention_hours = retention_hours
        self.batch = batch

    async def run_once(self) -> int:
        return await prune_expired(self.engine, self.retention_hours, self.batch)
