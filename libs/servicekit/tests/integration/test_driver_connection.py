"""Statements sent to asyncpg under a SQLAlchemy connection belong to its transaction."""

import asyncio

import pytest
from servicekit.db import create_engine, driver_connection, single_statement
from servicekit.metrics import REGISTRY
from servicekit.statements import tallied
from sqlalchemy import text


def counted(work: str) -> float:
    return REGISTRY.get_sample_value("db_statements_total", {"work": work}) or 0.0



@pytest.fixture
async def engine(infra):
    engine = create_engine(await asyncio.to_thread(infra.new_database, "kit_driver"), pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE things (name text PRIMARY KEY)"))
    yield engine
    await engine.dispose()


async def names(engine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(text("SELECT name FROM things ORDER BY name"))).scalars())


async def test_a_statement_sent_first_is_inside_the_transaction_and_rolls_back_with_it(engine):
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            # Nothing has gone through SQLAlchemy yet, so no BEGIN either: the driver sends it.
            await (await driver_connection(conn)).execute("INSERT INTO things VALUES ($1)", "rolled back")
            raise RuntimeError("the use case fails")
    assert await names(engine) == []
    async with engine.begin() as conn:
        await (await driver_connection(conn)).execute("INSERT INTO things VALUES ($1)", "kept")
        await conn.execute(text("INSERT INTO things VALUES ('beside it')"))
    assert await names(engine) == ["beside it", "kept"]


async def test_a_savepoint_rolled_back_takes_the_driver_statements_inside_it(engine):
    async with engine.begin() as conn:
        await (await driver_connection(conn)).execute("INSERT INTO things VALUES ($1)", "before")
        savepoint = await conn.begin_nested()
        await (await driver_connection(conn)).execute("INSERT INTO things VALUES ($1)", "inside")
        await savepoint.rollback()
        await (await driver_connection(conn)).execute("INSERT INTO things VALUES ($1)", "after")
    assert await names(engine) == ["after", "before"]


async def test_on_a_connection_that_began_nothing_it_begins_what_sqlalchemy_would(engine):
    async with engine.connect() as conn:
        await (await driver_connection(conn)).execute("INSERT INTO things VALUES ($1)", "not committed")
        assert conn.in_transaction()
    assert await names(engine) == []  # closed without a commit: rolled back, as an autobegun one is
    async with engine.connect() as conn:
        await (await driver_connection(conn)).execute("INSERT INTO things VALUES ($1)", "committed")
        await conn.commit()
    assert await names(engine) == ["committed"]


async def test_driver_statements_count_for_the_work_under_way(engine):
    before = counted("test driver")
    with tallied("test driver"):
        async with engine.begin() as conn:
            raw = await driver_connection(conn)
            await raw.execute("INSERT INTO things VALUES ($1)", "one")
            await raw.executemany("INSERT INTO things VALUES ($1)", [("two",), ("three",)])
            assert await raw.fetchval("SELECT count(*) FROM things") == 3
            assert len(await raw.fetch("SELECT name FROM things")) == 3
            assert (await raw.fetchrow("SELECT name FROM things WHERE name = $1", "two"))["name"] == "two"
    assert counted("test driver") - before == 5


async def test_a_single_statement_read_sends_no_begin_and_leaves_no_transaction(engine):
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO things VALUES ('there')"))
    before = counted("test single")
    with tallied("test single"):
        async with engine.connect() as conn:
            raw = await single_statement(conn)
            assert await raw.fetchval("SELECT name FROM things") == "there"
            # PostgreSQL ran it in a transaction of its own: none is open on the connection after it.
            assert not (await conn.get_raw_connection()).driver_connection.is_in_transaction()
            assert not conn.in_transaction()
    assert counted("test single") - before == 1
    # Back in the pool (of one) unharmed: the next transaction works as usual.
    async with engine.begin() as conn:
        await (await driver_connection(conn)).execute("INSERT INTO things VALUES ($1)", "next")
    assert await names(engine) == ["next", "there"]


async def test_a_single_statement_is_refused_inside_a_transaction(engine):
    async with engine.begin() as conn:
        await conn.execute(text("SELECT 1"))
        with pytest.raises(RuntimeError):
            await single_statement(conn)
