"""What one SQL statement costs the service's CPU, by the way it is sent.

    python libs/servicekit/bench/statement_cost.py [--statements 5000] [--postgres URL]

Without a server given, starts an embedded PostgreSQL of its own. Sends the same statements (the
inbox's insert of one event id, as every consumed event does, and a read of one row by its key)
in transactions of twenty, four ways: a `text()` made once and run by SQLAlchemy's
`AsyncConnection.execute` (what the services do), `exec_driver_sql` (SQLAlchemy without its
compiler), `servicekit.db.driver_connection` (asyncpg under the same pooled connection and
transaction) and a plain asyncpg connection; then transactions of one `SELECT 1` through
SQLAlchemy's `engine.begin()` and through an asyncpg pool. Prints this process's CPU per statement
and per transaction (the server's is not in it), the median of five rounds.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from localstack.ports import free_port
from localstack.postgres import EmbeddedPostgres, create_databases, database_url
from servicekit.db import asyncpg_dsn, create_engine, driver_connection
from sqlalchemy import text

SCHEMA = ("CREATE TABLE IF NOT EXISTS inbox (consumer text, event_id uuid, "
          "received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (consumer, event_id))")
INSERT = "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1"
SELECT = "SELECT consumer, event_id, received_at FROM inbox WHERE consumer = $1 AND event_id = $2"
INSERT_SA = text("INSERT INTO inbox (consumer, event_id) VALUES (:c, :e) ON CONFLICT DO NOTHING RETURNING 1")
SELECT_SA = text("SELECT consumer, event_id, received_at FROM inbox WHERE consumer = :c AND event_id = :e")
PER_TRANSACTION = 10


async def sqlalchemy_text(engine, ids):
    for start in range(0, len(ids), PER_TRANSACTION):
        async with engine.begin() as conn:
            for event_id in ids[start:start + PER_TRANSACTION]:
                (await conn.execute(INSERT_SA, {"c": "bench", "e": event_id})).first()
                (await conn.execute(SELECT_SA, {"c": "bench", "e": event_id})).first()


async def driver_sql(engine, ids):
    for start in range(0, len(ids), PER_TRANSACTION):
        async with engine.begin() as conn:
            for event_id in ids[start:start + PER_TRANSACTION]:
                (await conn.exec_driver_sql(INSERT, ("bench", event_id))).first()
                (await conn.exec_driver_sql(SELECT, ("bench", event_id))).first()


async def kit_driver(engine, ids):
    for start in range(0, len(ids), PER_TRANSACTION):
        async with engine.begin() as conn:
            raw = await driver_connection(conn)
            for event_id in ids[start:start + PER_TRANSACTION]:
                await raw.fetchval(INSERT, "bench", event_id)
                await raw.fetch(SELECT, "bench", event_id)


async def plain_asyncpg(conn, ids):
    for start in range(0, len(ids), PER_TRANSACTION):
        async with conn.transaction():
            for event_id in ids[start:start + PER_TRANSACTION]:
                await conn.fetchval(INSERT, "bench", event_id)
                await conn.fetch(SELECT, "bench", event_id)


ONE = text("SELECT 1")


async def one_each_sqlalchemy(engine, n):
    for _ in range(n):
        async with engine.begin() as conn:
            (await conn.execute(ONE)).scalar()


async def one_each_asyncpg(pool, n):
    for _ in range(n):
        async with pool.acquire() as conn, conn.transaction():
            await conn.fetchval("SELECT 1")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=5000, help="per way and round (half inserts, half reads)")
    parser.add_argument("--postgres", help="an admin URL (postgresql+asyncpg://...)")
    args = parser.parse_args()
    pg = None
    if not args.postgres:
        pg = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="bench-statements-")) / "pgdata", free_port())
        pg.start()
    admin = args.postgres or pg.url()  # type: ignore[union-attr]
    name = f"bench_statements_{uuid.uuid4().hex[:6]}"
    try:
        await create_databases(admin, [name])
        url = database_url(admin, name)
        engine = create_engine(url, pool_size=1)
        plain = await asyncpg.connect(asyncpg_dsn(url))
        await plain.execute(SCHEMA)
        ways = {"SQLAlchemy text()": lambda ids: sqlalchemy_text(engine, ids),
                "SQLAlchemy exec_driver_sql": lambda ids: driver_sql(engine, ids),
                "servicekit driver_connection": lambda ids: kit_driver(engine, ids),
                "plain asyncpg": lambda ids: plain_asyncpg(plain, ids)}
        cost: dict[str, list[float]] = {way: [] for way in ways}
        for _ in range(6):  # the first round warms every way up and is not counted
            for way, run in ways.items():
                ids = [uuid.uuid4() for _ in range(args.statements // 2)]
                started = time.process_time()
                await run(ids)
                cost[way].append((time.process_time() - started) / args.statements * 1e6)
        # A transaction of one statement, as a small use case or the relay's mark: what the
        # transaction itself costs (the pool's checkout and return, BEGIN, COMMIT) on top.
        pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=1)
        alone = {"SQLAlchemy engine.begin()": lambda n: one_each_sqlalchemy(engine, n),
                 "asyncpg pool transaction": lambda n: one_each_asyncpg(pool, n)}
        cost_alone: dict[str, list[float]] = {way: [] for way in alone}
        for _ in range(6):
            for way, run in alone.items():
                started = time.process_time()
                await run(args.statements // 5)
                cost_alone[way].append((time.process_time() - started) / (args.statements // 5) * 1e6)
        print(f"{args.statements} statements a round, {PER_TRANSACTION * 2} per transaction; "
              "this process's CPU per statement, median of 5 rounds")
        print("| way | µs of CPU per statement |")
        print("|---|---|")
        for way, rounds in cost.items():
            print(f"| {way} | {statistics.median(rounds[1:]):.0f} |")
        print(f"\n{args.statements // 5} transactions of one `SELECT 1` a round; CPU per transaction")
        print("| way | µs of CPU per transaction |")
        print("|---|---|")
        for way, rounds in cost_alone.items():
            print(f"| {way} | {statistics.median(rounds[1:]):.0f} |")
        await pool.close()
        await plain.close()
        await engine.dispose()
    finally:
        if pg:
            pg.remove()


if __name__ == "__main__":
    asyncio.run(main())
