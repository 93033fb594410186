"""Migrations: replicas starting at once all end at head, one after another."""

import asyncio
import json
import os
import sys
import uuid

from alembic.command import downgrade
from alembic.script import ScriptDirectory
from contracts import ProductUpdated
from offers.main import MIGRATIONS
from servicekit.migrations import alembic_config, upgrade
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def test_concurrent_migrate_commands_all_succeed(infra):
    url = await asyncio.to_thread(infra.new_database, "migr")
    env = {**os.environ, "OFFERS_DATABASE_URL": url}
    runs = [await asyncio.create_subprocess_exec(sys.executable, "-m", "offers", "migrate", env=env,
                                                 stderr=asyncio.subprocess.PIPE) for _ in range(3)]
    results = await asyncio.gather(*(asyncio.wait_for(r.communicate(), 120) for r in runs))
    assert [r.returncode for r in runs] == [0, 0, 0], [err.decode()[-2000:] for _, err in results]
    head = ScriptDirectory.from_config(alembic_config(MIGRATIONS, url)).get_current_head()
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT version_num FROM alembic_version")) == head
    await engine.dispose()


async def test_the_catalog_made_before_its_announcement_is_announced_once_then_again_with_its_defaults(infra):
    url = await asyncio.to_thread(infra.new_database, "offers")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0005")
    account, product_id, module_id, lesson_id = (uuid.uuid4() for _ in range(4))
    modules = [{"id": str(module_id), "title": "Basics", "lessons": [{"id": str(lesson_id), "title": "Intro"}]}]
    defaults = {"lesson_delays": [{"lesson_id": str(lesson_id), "days": 3}], "practice_lesson_ids": [str(lesson_id)],
                "checkpoints": True, "comments": False, "certificate": "on_completion", "certificate_conditions": None}
    engine = create_async_engine(url)

    async def announced() -> list[tuple[str, ProductUpdated]]:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT key, payload FROM outbox WHERE topic = 'ProductUpdated' ORDER BY id"))).all()
        return [(key, ProductUpdated.model_validate(payload)) for key, payload in rows]

    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO products (id, account_id, title, kind, modules, defaults) "
                "VALUES (:id, :a, 'Python', 'course', CAST(:m AS jsonb), CAST(:d AS jsonb))"),
                {"id": product_id, "a": account, "m": json.dumps(modules), "d": json.dumps(defaults)})
        await asyncio.to_thread(upgrade, MIGRATIONS, url, "0007")
        [(key, event)] = await announced()
        assert key == str(product_id) and (event.account_id, event.title) == (account, "Python")
        assert [(m.id, [lesson.id for lesson in m.lessons]) for m in event.modules] == [(module_id, [lesson_id])]
        assert event.defaults is None  # the event did not carry them yet
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        [_, (key, again)] = await announced()
    finally:
        await engine.dispose()
    assert key == str(product_id) and again.modules == event.modules
    assert again.defaults is not None and again.defaults.model_dump(mode="json") == defaults


async def test_the_old_keys_table_is_carried_then_dropped_and_comes_back_on_a_downgrade(infra):
    url = await asyncio.to_thread(infra.new_database, "offers")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0008")
    # An offer's key (the downgrade tells a product's from an offer's by the products table).
    account, offer_id = uuid.uuid4(), uuid.uuid4()
    engine = create_async_engine(url)
    keys_table = "SELECT to_regclass('idempotency_keys') IS NOT NULL"
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO idempotency_keys (scope, key, fingerprint, resource_id) VALUES (:s, 'k1', 'f', :r)"),
                {"s": f"offer:{account}", "r": offer_id})
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        async with engine.connect() as conn:
            assert not await conn.scalar(text(keys_table))
            carried = (await conn.execute(text("SELECT scope, key, resource_id FROM idempotent_requests"))).all()
        assert [tuple(row) for row in carried] == [(str(account), "k1", offer_id)]
        await asyncio.to_thread(downgrade, alembic_config(MIGRATIONS, url), "0008")
        async with engine.connect() as conn:
            back = (await conn.execute(text("SELECT scope, key, resource_id FROM idempotency_keys"))).all()
        assert [tuple(row) for row in back] == [(f"offer:{account}", "k1", offer_id)]
    finally:
        await engine.dispose()
