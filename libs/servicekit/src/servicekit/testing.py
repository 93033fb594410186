"""Test helpers shared by the services' tests."""

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from contracts import Event
from fastapi import FastAPI

from .caller import Caller, ProofSigner, Role
from .idempotency import Idempotent, IdempotencyKeyReused
from .migrations import upgrade
from .settings import ServiceSettings
from .workers import PollingWorker


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
async def serving(app: Any, **options: Any) -> AsyncIterator[str]:
    """Serve the app (lifespan included) on a real uvicorn listener on a free port; its base URL.
    `options` go to uvicorn's Config (a short `timeout_keep_alive`, say).

    For what only real HTTP shows: connections, concurrency, what a client sees under load.
    """
    import uvicorn
    from localstack.ports import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                           **options))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()  # the server's own error
                    raise RuntimeError("the server stopped before it started")
                await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def service_under_test(
    infra: Any, *, name: str, migrations: Path, create_app: Callable[[Any], FastAPI],
    settings_type: type[ServiceSettings], **overrides: Any,
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """A service on its own fresh database and consumer group, on the test servers, running."""
    app = await _fresh_service(infra, name, migrations, create_app, settings_type, overrides)
    async with running(app) as client:
        yield client, app


@contextlib.asynccontextmanager
async def service_served(
    infra: Any, *, name: str, migrations: Path, create_app: Callable[[Any], FastAPI],
    settings_type: type[ServiceSettings], **overrides: Any,
) -> AsyncIterator[tuple[str, FastAPI]]:
    """As `service_under_test`, but on a real uvicorn listener: its base URL and the app."""
    app = await _fresh_service(infra, name, migrations, create_app, settings_type, overrides)
    async with serving(app) as url:
        yield url, app


async def _fresh_service(infra: Any, name: str, migrations: Path, create_app: Callable[[Any], FastAPI],
                         settings_type: type[ServiceSettings], overrides: dict[str, Any]) -> FastAPI:
    from contracts import ALL_TOPICS, dlq_topic
    from localstack.broker import create_topics

    url = await migrated_database(infra, name, migrations)
    await create_topics(infra.kafka_bootstrap, [*ALL_TOPICS, *map(dlq_topic, ALL_TOPICS)])
    settings = settings_type(database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False,
                             consumer_group=await fresh_group_after_published(infra.kafka_bootstrap), **overrides)
    return create_app(settings)


def fresh_group() -> str:
    """A consumer group of its own, so no earlier app's members delay this one's join."""
    return f"test-{uuid.uuid4().hex[:10]}"


async def fresh_group_after_published(bootstrap: str) -> str:
    """A fresh group whose consumers start after everything already on the topics.

    Tests share one broker: without this, a service under test would first read every event
    earlier tests published, about orders its database never heard of, and its consumers would
    wait on them (NotYet) before reaching this test's events. The offsets are committed before
    the service starts, so nothing this test publishes afterwards can be skipped.
    """
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from contracts import ALL_TOPICS

    from .messaging import topic_group

    group = fresh_group()
    # Each topic's group (per-topic consumers), and the group itself for all of them (the batch consumer).
    for group_id, topics in [*((topic_group(group, topic), [topic]) for topic in ALL_TOPICS), (group, ALL_TOPICS)]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False)
        await consumer.start()
        try:
            await consumer.topics()  # loads the metadata partitions_for_topic reads
            partitions = [TopicPartition(topic, p) for topic in topics
                          for p in sorted(consumer.partitions_for_topic(topic) or ())]
            if partitions:
                consumer.assign(partitions)
                ends = await consumer.end_offsets(partitions)
                await consumer.commit({tp: offset for tp, offset in ends.items()})
        finally:
            await consumer.stop()
    return group


@contextlib.asynccontextmanager
async def table_locked(database_url: str, table: str) -> AsyncIterator[None]:
    """Every query on `table` waits while this lasts: a way to keep real requests in flight."""
    import asyncpg

    from .db import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with conn.transaction():
            await conn.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
            yield
    finally:
        await conn.close()


async def until_waiting_on_locks(database_url: str, count: int, timeout: float = 10) -> None:
    """Until `count` sessions of that database wait on a lock (the requests have reached it)."""
    import asyncpg

    from .db import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                  "AND datname = current_database()") < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{count} sessions never waited on a lock")
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def count_inserting_statements(conn: Any, table: str) -> None:
    """From now on, each statement that inserts into `table` (as the server ran it, however many rows)
    adds a row to `<table>_inserts` with its transaction's id (`tx`): on the caller's connection
    (SQLAlchemy's), in its transaction."""
    from sqlalchemy import text

    for statement in (
        f'CREATE TABLE "{table}_inserts" (tx bigint NOT NULL)',
        f'CREATE FUNCTION "{table}_count_insert"() RETURNS trigger LANGUAGE plpgsql AS $$ '
        f'BEGIN INSERT INTO "{table}_inserts" VALUES (txid_current()); RETURN NULL; END $$',
        f'CREATE TRIGGER "{table}_count_insert" AFTER INSERT ON "{table}" '
        f'FOR EACH STATEMENT EXECUTE FUNCTION "{table}_count_insert"()',
    ):
        await conn.execute(text(statement))


# Every service's name: a test's proof is good for any of them, as one test may call several.
SERVICES = ["offers", "orders", "payments", "notifications"]


def as_account(account_id: UUID, role: Role = "owner", user: str = "test-user") -> dict[str, str]:
    """Headers proving, as the gateway would, that `user` with `role` in `account_id` is calling.

    Signed with the test run's gateway key (GATEWAY_SIGNING_KEY, set by the test plugin).
    """
    signer = ProofSigner(os.environ["GATEWAY_SIGNING_KEY"])
    return {"Authorization": f"Bearer {signer.sign(Caller(account_id, user, role), SERVICES)}"}


class CountingWorker(PollingWorker):
    """A worker whose passes answer, in turn, the given results (a number done, or an exception
    to raise), then 0; it counts its passes."""

    name = "counting"

    def __init__(self, results: list[int | Exception], **options: Any) -> None:
        super().__init__(**options)
        self.results = results
        self.passes = 0

    async def run_once(self) -> int:
        self.passes += 1
        result = self.results.pop(0) if self.results else 0
        if isinstance(result, Exception):
            raise result
        return result


class MemoryIdempotency:
    """A unit of work's Idempotency-Key records in memory, for use-case tests: as the kit's SQL ones
    answer (the first result again, another body under the same key refused), and a key
    remembered twice fails the test (the use case did not look first)."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], tuple[UUID, str]] = {}

    async def made_before(self, scope: str, request: Idempotent | None) -> UUID | None:
        if request is None or (scope, request.key) not in self.keys:
            return None
        made, fingerprint = self.keys[(scope, request.key)]
        if fingerprint != request.fingerprint:
            raise IdempotencyKeyReused()
        return made

    async def remember(self, scope: str, request: Idempotent | None, resource_id: UUID) -> None:
        if request is not None:
            assert (scope, request.key) not in self.keys, f"{request.key} remembered twice in {scope}"
            self.keys[(scope, request.key)] = (resource_id, request.fingerprint)


class MemoryOutbox:
    """A unit of work's outbox in memory, for use-case tests: the events added, in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def add(self, *events: Event) -> None:
        self.events += events

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def names(self) -> list[str]:
        return [type(e).__name__ for e in self.events]
