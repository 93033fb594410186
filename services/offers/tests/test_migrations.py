"""Migrations: replicas starting at once both end at head, one after the other."""

import asyncio

from offers.main import MIGRATIONS
from servicekit.migrations import upgrade
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def test_concurrent_upgrades_both_succeed(infra):
    url = await asyncio.to_thread(infra.new_database, "migr")
    await asyncio.gather(*(asyncio.to_thread(upgrade, MIGRATIONS, url) for _ in range(3)))
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT version_num FROM alembic_version")) == "0001"
    await engine.dispose()
