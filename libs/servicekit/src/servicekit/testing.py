"""Test helpers shared by the services' tests."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI

from .http import ACCOUNT_HEADER
from .migrations import upgrade
from .settings import ServiceSettings


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


@contextlib.asynccontextmanager
async def service_under_test(
    infra: Any, *, name: str, migrations: Path, create_app: Callable[[Any], FastAPI],
    settings_type: type[ServiceSettings], **overrides: Any,
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """A service on its own fresh database and consumer group, on the test servers, running."""
    from contracts import ALL_TOPICS, dlq_topic
    from localstack.broker import create_topics

    url = await migrated_database(infra, name, migrations)
    await create_topics(infra.kafka_bootstrap, [*ALL_TOPICS, *map(dlq_topic, ALL_TOPICS)])
    settings = settings_type(database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False,
                             consumer_group=fresh_group(), **overrides)
    app = create_app(settings)
    async with running(app) as client:
        yield client, app


def fresh_group() -> str:
    """A consumer group of its own, so no earlier app's members delay this one's join."""
    return f"test-{uuid.uuid4().hex[:10]}"


def as_account(account_id: UUID) -> dict[str, str]:
    return {ACCOUNT_HEADER: str(account_id)}
