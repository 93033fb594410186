"""The outbox's placement columns as a service's migration adds them: the same as `outbox_table`
makes them, and taken back by the downgrade."""

import asyncio

from alembic.migration import MigrationContext
from alembic.operations import Operations
from servicekit.outbox import add_placement, drop_placement, outbox_table
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine

COLUMNS = ("SELECT column_name, data_type, is_nullable FROM information_schema.columns "
           "WHERE table_name = 'outbox' ORDER BY ordinal_position")


def in_a_migration(sync_conn, helper) -> None:
    with Operations.context(MigrationContext.configure(sync_conn)):
        helper()


async def test_the_migration_helpers_add_and_take_back_what_outbox_table_has(infra):
    url = await asyncio.to_thread(infra.new_database, "kit_outbox")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(outbox_table(MetaData()).create)
            made = {tuple(row) for row in (await conn.execute(text(COLUMNS))).all()}
            await conn.run_sync(in_a_migration, drop_placement)
            without = {tuple(row) for row in (await conn.execute(text(COLUMNS))).all()}
            await conn.run_sync(in_a_migration, add_placement)
            again = {tuple(row) for row in (await conn.execute(text(COLUMNS))).all()}
        assert made - without == {("kafka_partition", "integer", "YES"), ("kafka_offset", "bigint", "YES")}
        assert again == made
    finally:
        await engine.dispose()
