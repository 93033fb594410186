"""Migrations: providers typed as any text before they were one type are kept as a provider's name."""

import asyncio
import uuid

from contracts import ProviderName
from payments.main import MIGRATIONS
from pydantic import TypeAdapter
from servicekit.migrations import upgrade
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

# What a payment added by hand or a manual order could name as its provider (up to 50 characters
# of any text), and the name it is once migrated.
STORED = {
    "stripe": "stripe", "wayforpay": "wayforpay", "Stripe": "stripe", " Privat 24 ": "privat_24",
    "24pay": "provider_24pay", "cash-desk": "cash_desk", "Ünïcode": "provider__n_code", "x" * 50: "x" * 50,
    "9" * 50: ("provider_" + "9" * 50)[:50],
}


async def test_a_typed_provider_is_spelled_as_a_name_and_a_name_is_kept(infra):
    url = await asyncio.to_thread(infra.new_database, "payments_names")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0010")
    account = uuid.uuid4()
    ids = {stored: uuid.uuid4() for stored in STORED}
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for number, (stored, row_id) in enumerate(ids.items(), start=1):
                await conn.execute(text(
                    "INSERT INTO payments (id, account_id, order_id, number, amount, currency, provider) "
                    "VALUES (:p, :a, :p, :n, 10, 'EUR', :provider)"),
                    {"p": row_id, "a": account, "n": number, "provider": stored})
                await conn.execute(text(
                    "INSERT INTO order_states (order_id, account_id, order_number, school_name, currency, provider, "
                    "contact) VALUES (:o, :a, :n, 'School', 'EUR', :provider, '{}')"),
                    {"o": row_id, "a": account, "n": number, "provider": stored})
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        name = TypeAdapter(ProviderName)
        for table, key in (("payments", "id"), ("order_states", "order_id")):
            async with engine.connect() as conn:
                rows = dict((await conn.execute(text(f"SELECT {key}, provider FROM {table}"))).all())
            assert {stored: rows[row_id] for stored, row_id in ids.items()} == STORED, table
            assert all(name.validate_python(provider) == provider for provider in rows.values())
    finally:
        await engine.dispose()
