"""Test helpers shared by the services' tests."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI

from .http import ACCOUNT_HEADER
from .migrations import upgrade


async def migrated_database(infra: Any, prefix: str, migrations_dir: Path) -> str:
    """A new database on the test server with the service's migrations applied; its URL."""
    url = await asyncio.to_thread(infra.new_database, prefix)
    await asyncio.to_thread(upgrade, migrations_dir, url)
    return url


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (broker, relay, workers) and give an HTTP client to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


def fresh_group() -> str:
    """A consumer group of its own, so no earlier app's members delay this one's join."""
    return f"test-{uuid.uuid4().hex[:10]}"


def as_account(account_id: UUID) -> dict[str, str]:
    return {ACCOUNT_HEADER: str(account_id)}
