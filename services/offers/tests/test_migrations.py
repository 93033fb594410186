"""Migrations: replicas starting at once all end at head, one after another."""

import asyncio
import json
import os
import sys
import uuid

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


async def test_the_catalog_made_before_its_announcement_is_announced_once(infra):
    url = await asyncio.to_thread(infra.new_database, "offers")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0005")
    account, product_id, module_id, lesson_id = (uuid.uuid4() for _ in range(4))
    modules = [{"id": str(module_id), "title": "Basics", "lessons": [{"id": str(lesson_id), "title": "Intro"}]}]
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO products (id, account_id, title, kind, modules) "
                "VALUES (:id, :a, 'Python', 'course', CAST(:m AS jsonb))"),
                {"id": product_id, "a": account, "m": json.dumps(modules)})
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT key, payload FROM outbox WHERE topic = 'ProductUpdated'"))).all()
    finally:
        await engine.dispose()
    [(key, payload)] = rows
    event = ProductUpdated.model_validate(payload)
    assert key == str(product_id) and (event.account_id, event.title) == (account, "Python")
    assert [(m.id, [lesson.id for lesson in m.lessons]) for m in event.modules] == [(module_id, [lesson_id])]
