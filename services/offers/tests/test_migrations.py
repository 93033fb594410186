"""Migrations: replicas starting at once all end at head, one after another."""

import asyncio
import os
import sys

from alembic.script import ScriptDirectory
from offers.main import MIGRATIONS
from servicekit.migrations import alembic_config
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
