"""Database engine and connection helpers (asyncpg under SQLAlchemy Core)."""

from collections.abc import Iterable, Sequence
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from .statements import count_one, count_statements


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # No pre-ping: it costs a round trip per transaction. A connection broken by a database
    # restart fails once; consumers retry that as transient, HTTP callers get a 500 and retry.
    # Every connection the pool may hold is kept once opened (the same bound as pool_size kept plus
    # as many again opened for a moment): a burst above the kept ones, such as the visitors' waiting
    # status requests all woken by one event, opened and closed hundreds of connections a minute
    # (docs/performance.md), each a new PostgreSQL process to start and its catalogs to read.
    engine = create_async_engine(url, pool_size=2 * pool_size, max_overflow=0, pool_recycle=1800)
    return count_statements(engine)


def asyncpg_dsn(url: str) -> str:
    """The same database as a plain libpq URL, for raw asyncpg connections (LISTEN)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _engine(request: Request) -> AsyncEngine:
    return request.app.state.engine


# Routes open their own transaction (`async with engine.begin()`), so a 2xx is only
# ever sent after the commit.
EngineDep = Annotated[AsyncEngine, Depends(_engine)]



class Driver:
    """The few asyncpg calls the hot statements use, each counted as a statement."""

    __slots__ = ("_conn",)

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        count_one()
        return await self._conn.fetch(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        count_one()
        return await self._conn.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        count_one()
        return await self._conn.fetchval(query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        count_one()
        return await self._conn.execute(query, *args)

    async def executemany(self, query: str, args: Iterable[Sequence[Any]]) -> None:
        count_one()
        await self._conn.executemany(query, args)


async def driver_connection(conn: AsyncConnection) -> Driver:
    """The asyncpg connection under `conn`, inside `conn`'s transaction, for the hottest statements.

    A statement sent here skips SQLAlchemy's execution path (several times asyncpg's own CPU per
    statement: `libs/servicekit/bench/statement_cost.py`) and is a prepared statement asyncpg keeps
    per connection. SQLAlchemy sends BEGIN with its first statement, so this sends it first when
    nothing has been yet: a statement here is always part of the transaction (and the savepoint)
    it is written in. The connection has SQLAlchemy's codecs: a `json`/`jsonb` parameter is the
    JSON text (a str) and such a column comes back parsed. On a connection that has begun nothing
    (`engine.connect()`) it begins the transaction SQLAlchemy's first statement would have (its
    "autobegin"), for the caller to commit as it would have had to. Errors are asyncpg's own, not
    SQLAlchemy's.
    """
    if not conn.in_transaction():
        await conn.begin()
    fairy = await conn.get_raw_connection()
    adapted: Any = fairy.dbapi_connection
    if adapted._transaction is None and not adapted.autocommit:
        async with adapted._execute_mutex:
            if adapted._transaction is None:
                await adapted._start_transaction()
    return Driver(adapted._connection)


async def single_statement(conn: AsyncConnection) -> Driver:
    """The asyncpg connection under `conn`, outside any transaction, for a read that is one statement.

    PostgreSQL runs such a statement in a transaction of its own, so it costs one round trip where
    `driver_connection` on a fresh connection costs three (BEGIN, the statement, and the ROLLBACK
    when the connection goes back to the pool; SQLAlchemy's pool sends none for a connection that
    began nothing). Only on a connection that has begun nothing (`engine.connect()`), and only for
    what needs no transaction around it: one read that sees one committed state.
    """
    if conn.in_transaction():
        raise RuntimeError("single_statement is for a connection that has begun no transaction")
    fairy = await conn.get_raw_connection()
    adapted: Any = fairy.dbapi_connection
    if adapted._transaction is not None:
        raise RuntimeError("single_statement is for a connection that has begun no transaction")
    return Driver(adapted._connection)
