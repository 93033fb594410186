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

ACCOUNT, OTHER = uuid.uuid4(), uuid.uuid4()
SETTINGS = {"secret_key": "sk_test_plain_secret", "webhook_secret": "whsec_plain_secret"}


def test_sealed_settings_open_only_for_their_row_and_key() -> None:
    sealer = Sealer(new_key())
    sealed = sealer.seal(SETTINGS, ACCOUNT, "stripe")
    assert "plain_secret" not in json.dumps(sealed)
    assert sealer.open(sealed, ACCOUNT, "stripe") == SETTINGS
    with pytest.raises(SealError, match="moved from another row"):
        sealer.open(sealed, OTHER, "stripe")
    with pytest.raises(SealError):
        sealer.open(sealed, ACCOUNT, "wayforpay")
    tampered = {**sealed, "data": sealed["data"][:-4] + ("AAAA" if not sealed["data"].endswith("AAAA") else "BBBB")}
    with pytest.raises(SealError):
        sealer.open(tampered, ACCOUNT, "stripe")
    with pytest.raises(SealError, match="not configured"):
        Sealer(new_key()).open(sealed, ACCOUNT, "stripe")


def test_rotation_opens_old_rows_and_seals_with_the_new_key() -> None:
    old, new = new_key(), new_key()
    sealed_before = Sealer(old).seal(SETTINGS, ACCOUNT, "stripe")
    rotated = Sealer(f"{new},{old}")
    assert rotated.open(sealed_before, ACCOUNT, "stripe") == SETTINGS
    assert rotated.needs_reseal(sealed_before)
    resealed = rotated.seal(SETTINGS, ACCOUNT, "stripe")
    assert resealed["kid"] == new.split(":")[0] and not rotated.needs_reseal(resealed)
    assert Sealer(new).open(resealed, ACCOUNT, "stripe") == SETTINGS


@pytest.mark.parametrize("keys", ["", "change-me", "k1:short", "k1:not base64!!", ":" + new_key().split(":")[1]])
def test_no_key_or_a_bad_key_is_refused_at_start(keys: str) -> None:
    with pytest.raises(SealError):
        Sealer(keys)


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
