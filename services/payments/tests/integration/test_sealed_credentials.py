"""Schools' provider credentials are sealed at rest: a dump of the table holds no secret."""

import asyncio
import json
import os
import uuid

import asyncpg
import pytest
from localstack.provider_standin import STRIPE_KEY, STRIPE_WEBHOOK_SECRET
from payments.adapters import repository as repo
from payments.adapters.sealing import Sealer, SealError, new_key
from payments.main import MIGRATIONS
from servicekit.migrations import upgrade
from servicekit.testing import as_account
from sqlalchemy.ext.asyncio import create_async_engine

ACCOUNT = uuid.uuid4()
SETTINGS = {"secret_key": "sk_test_plain_secret", "webhook_secret": "whsec_plain_secret"}


async def _raw_rows(url: str) -> list[str]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return [r["settings"] for r in await conn.fetch("SELECT settings::text FROM provider_accounts")]
    finally:
        await conn.close()


async def test_credentials_put_through_the_api_are_stored_sealed(client_app) -> None:
    client, app = client_app
    account = uuid.uuid4()
    body = {"secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WEBHOOK_SECRET}
    assert (await client.put("/providers/stripe", json=body, headers=as_account(account))).status_code == 200
    rows = await _raw_rows(str(app.state.engine.url.render_as_string(hide_password=False)))
    assert rows and not any(STRIPE_KEY in r or STRIPE_WEBHOOK_SECRET in r for r in rows)
    assert all(json.loads(r)["sealed"] == 1 for r in rows)
    shown = (await client.get("/providers/stripe", headers=as_account(account))).json()
    assert STRIPE_KEY not in json.dumps(shown) and STRIPE_WEBHOOK_SECRET not in json.dumps(shown)
    async with app.state.engine.connect() as conn:
        assert await repo.provider_settings(conn, app.state.sealer, account, "stripe") == body


async def test_the_migration_seals_rows_stored_before_and_reseal_moves_them_to_a_new_key(infra) -> None:
    url = await asyncio.to_thread(infra.new_database, "payments")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0003")
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("INSERT INTO provider_accounts (account_id, provider, settings) VALUES ($1, 'stripe', $2)",
                           ACCOUNT, json.dumps(SETTINGS))
    finally:
        await conn.close()
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    [row] = await _raw_rows(url)
    assert "plain_secret" not in row and json.loads(row)["sealed"] == 1
    first = Sealer(os.environ["PAYMENTS_CREDENTIALS_KEYS"])
    rotated = Sealer(f"{new_key()},{os.environ['PAYMENTS_CREDENTIALS_KEYS']}")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            assert await repo.provider_settings(conn, first, ACCOUNT, "stripe") == SETTINGS
            assert await repo.reseal_provider_settings(conn, rotated) == 1
            assert await repo.reseal_provider_settings(conn, rotated) == 0
        async with engine.connect() as conn:
            with pytest.raises(SealError):
                await repo.provider_settings(conn, first, ACCOUNT, "stripe")
            assert await repo.provider_settings(conn, rotated, ACCOUNT, "stripe") == SETTINGS
    finally:
        await engine.dispose()
