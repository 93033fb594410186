"""Migrations: the manual orders' old Idempotency-Key table, carried over, then dropped."""

import asyncio
import uuid

from alembic.command import downgrade
from orders.main import MIGRATIONS
from servicekit.migrations import alembic_config, upgrade
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def test_the_old_keys_table_is_carried_then_dropped_and_comes_back_on_a_downgrade(infra):
    url = await asyncio.to_thread(infra.new_database, "orders_migr")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0009")
    account, order_id = uuid.uuid4(), uuid.uuid4()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO idempotency_keys (account_id, key, fingerprint, order_id) VALUES (:a, 'k1', 'f', :o)"),
                {"a": account, "o": order_id})
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT to_regclass('idempotency_keys')")) is None
            carried = (await conn.execute(text("SELECT scope, key, resource_id FROM idempotent_requests"))).all()
        assert [tuple(row) for row in carried] == [(str(account), "k1", order_id)]
        await asyncio.to_thread(downgrade, alembic_config(MIGRATIONS, url), "0009")
        async with engine.connect() as conn:
            back = (await conn.execute(text("SELECT account_id, key, order_id FROM idempotency_keys"))).all()
        assert [tuple(row) for row in back] == [(account, "k1", order_id)]
    finally:
        await engine.dispose()
