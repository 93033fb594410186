"""Idempotency-Key records expire, on real PostgreSQL: the pruning forgets those past the
retention, and the same key then makes a new request."""

import asyncio
from datetime import timedelta
from uuid import uuid4

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from servicekit import idempotency
from servicekit.runtime import build_app
from servicekit.settings import ServiceSettings
from sqlalchemy import MetaData, func, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

metadata = MetaData()
requests = idempotency.idempotency_table(metadata)
RETENTION = 48


def in_a_migration(sync_conn, helper) -> None:
    """Runs a migration helper as alembic would, on this connection."""
    with Operations.context(MigrationContext.configure(sync_conn)):
        helper()


@pytest.fixture
async def engine(infra):
    url = await asyncio.to_thread(infra.new_database, "kit_expiry")
    eng = create_async_engine(url)
    async with eng.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(in_a_migration, idempotency.create_expiry_index)
    yield eng
    await eng.dispose()


async def record(engine, scope: str, key: str, age: timedelta) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(requests).values(
            scope=scope, key=key, fingerprint="f", resource_id=uuid4(),
            created_at=func.now() - text(f"interval '{int(age.total_seconds())} seconds'")))


async def keys(engine, scope: str) -> set[str]:
    async with engine.connect() as conn:
        return set((await conn.execute(select(requests.c.key).where(requests.c.scope == scope))).scalars())


async def test_records_past_the_retention_are_deleted_and_younger_ones_kept(engine):
    scope = str(uuid4())
    await record(engine, scope, "old", timedelta(hours=RETENTION, minutes=1))
    await record(engine, scope, "older", timedelta(days=30))
    await record(engine, scope, "young", timedelta(hours=RETENTION, minutes=-1))
    await record(engine, scope, "new", timedelta(0))
    assert await idempotency.prune_expired(engine, RETENTION) == 2
    assert await keys(engine, scope) == {"young", "new"}
    assert await idempotency.prune_expired(engine, RETENTION) == 0


async def test_a_backlog_goes_in_batches(engine):
    scope = str(uuid4())
    for n in range(5):
        await record(engine, scope, f"k{n}", timedelta(days=3))
    assert [await idempotency.prune_expired(engine, RETENTION, batch=2) for _ in range(4)] == [2, 2, 1, 0]
    assert await keys(engine, scope) == set()


async def test_a_key_reused_after_expiry_is_a_new_request(engine):
    scope, key = str(uuid4()), str(uuid4())
    await record(engine, scope, key, timedelta(hours=RETENTION + 1))
    await idempotency.prune_expired(engine, RETENTION)
    # Another body under the same key would have been refused before; now it is new, and remembered.
    again = idempotency.Idempotent(key, "another body")
    async with engine.begin() as conn:
        assert await idempotency.made_before(conn, requests, scope, again) is None
        made = uuid4()
        await idempotency.remember(conn, requests, scope, again, made)
    async with engine.begin() as conn:
        assert await idempotency.made_before(conn, requests, scope, again) == made


async def test_the_pruner_runs_as_a_worker(engine):
    scope = str(uuid4())
    await record(engine, scope, "old", timedelta(days=3))
    await record(engine, scope, "new", timedelta(0))
    pruner = idempotency.ExpiredKeysPruner(engine, RETENTION, poll=0.05)
    await pruner.start()
    try:
        async with asyncio.timeout(10):
            while await keys(engine, scope) != {"new"}:
                await asyncio.sleep(0.05)
    finally:
        await pruner.stop()


async def indexes(engine) -> set[str]:
    async with engine.connect() as conn:
        return set((await conn.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = :t"), {"t": idempotency.TABLE})).scalars())


async def test_the_migrations_index_the_creation_time_and_can_take_it_back(engine):
    assert idempotency.EXPIRY_INDEX in await indexes(engine)
    async with engine.begin() as conn:
        await conn.run_sync(in_a_migration, idempotency.drop_expiry_index)
    assert idempotency.EXPIRY_INDEX not in await indexes(engine)


async def test_a_database_without_the_records_has_nothing_to_prune(infra):
    url = await asyncio.to_thread(infra.new_database, "kit_expiry_none")
    eng = create_async_engine(url)
    try:
        assert await idempotency.prune_expired(eng, RETENTION) == 0
    finally:
        await eng.dispose()


def test_every_service_process_prunes_with_its_retention():
    app = build_app(name="things", settings=ServiceSettings(log_json=False, idempotency_retention_hours=24))
    pruners = [w for w in app.state.workers if isinstance(w, idempotency.ExpiredKeysPruner)]
    assert [p.retention_hours for p in pruners] == [24]
    assert ServiceSettings().idempotency_retention_hours == 48
