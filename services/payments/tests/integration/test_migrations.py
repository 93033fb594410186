"""Migrations: the payments' old Idempotency-Key column, carried over, then dropped."""

import asyncio
import uuid

from alembic.command import downgrade
from payments.main import MIGRATIONS
from servicekit.migrations import alembic_config, upgrade
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

COLUMN = ("SELECT count(*) FROM information_schema.columns "
          "WHERE table_name = 'payments' AND column_name = 'idempotency_key'")


async def test_the_old_key_column_is_carried_then_dropped_and_comes_back_on_a_downgrade(infra):
    url = await asyncio.to_thread(infra.new_database, "payments_migr")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0006")
    account, payment_id = uuid.uuid4(), uuid.uuid4()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO payments (id, account_id, order_id, number, amount, currency, provider, idempotency_key) "
                "VALUES (:p, :a, :o, 1, 10, 'EUR', 'manual', 'k1')"),
                {"p": payment_id, "a": account, "o": uuid.uuid4()})
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        async with engine.connect() as conn:
            assert await conn.scalar(text(COLUMN)) == 0
            carried = (await conn.execute(text("SELECT scope, key, resource_id FROM idempotent_requests"))).all()
        assert [tuple(row) for row in carried] == [(str(account), "k1", payment_id)]
        await asyncio.to_thread(downgrade, alembic_config(MIGRATIONS, url), "0006")
        async with engine.connect() as conn:
            back = await conn.scalar(text("SELECT idempotency_key FROM payments WHERE id = :p"), {"p": payment_id})
        assert back == "k1"
    finally:
        await engine.dispose()
