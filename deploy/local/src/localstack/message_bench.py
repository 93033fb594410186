"""What the services' message benches share (`services/*/bench/event_cost.py`,
`record_throughput.py`): a fresh migrated database on an embedded PostgreSQL (or a server given),
events handed to a batch consumer's own per-partition step as the broker would hand them, and what
a timed stretch spent: this process's CPU, the wall clock, and the SQL statements by kind of work
as `/metrics` counts them (`db_statements_total`, those sent straight to asyncpg included)."""

import asyncio
import contextlib
import cProfile
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka.structs import ConsumerRecord
from contracts import Event
from servicekit.batches import BatchConsumer
from servicekit.metrics import DB_STATEMENTS
from servicekit.migrations import upgrade

from .ports import free_port
from .postgres import EmbeddedPostgres, create_databases, database_url


@contextlib.asynccontextmanager
async def migrated_database(service: str, migrations: Path, postgres_url: str | None = None) -> AsyncIterator[str]:
    """The URL of a new database of `service`, migrated; on a PostgreSQL of its own unless an admin
    URL is given, removed afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix=f"{service}-bench-"))
    pg = None
    try:
        admin = postgres_url
        if not admin:
            pg = EmbeddedPostgres(workdir / "pgdata", free_port())
            pg.start()
            admin = pg.url()
        name = f"{service}_bench_{uuid.uuid4().hex[:8]}"
        await create_databases(admin, [name])
        url = database_url(admin, name)
        await asyncio.to_thread(upgrade, migrations, url)
        yield url
    finally:
        if pg is not None:
            pg.remove()
        shutil.rmtree(workdir, ignore_errors=True)


def as_records(events: list[Event]) -> list[ConsumerRecord]:
    """The events as the broker hands them over: their JSON, at increasing offsets of one partition."""
    return [
        ConsumerRecord(topic=e.topic, partition=0, offset=i, timestamp=0, timestamp_type=0, key=None,
                       value=e.model_dump_json().encode(), checksum=None, serialized_key_size=0,
                       serialized_value_size=0, headers=())
        for i, e in enumerate(events)
    ]


async def apply_polls(consumer: BatchConsumer, events: list[Event], batch: int) -> None:
    """Each `batch` events as one poll of one partition (decoding, the inbox record, the use case;
    the broker's fetch and the offset commit left out); every one must go through."""
    try:
        for start in range(0, len(events), batch):
            chunk = events[start:start + batch]
            outcome = await consumer._apply(consumer.routes[chunk[0].topic], as_records(chunk), None)
            if outcome.retry is not None:
                raise RuntimeError(f"{chunk[0].event_type} was not applied: see the log")
    finally:
        await consumer.release()  # the connection it keeps between polls, before the engine goes


def statements_by_work() -> dict[str, float]:
    """db_statements_total by work, as /metrics shows it."""
    return {s.labels["work"]: s.value for m in DB_STATEMENTS.collect() for s in m.samples
            if s.name.endswith("_total")}


@dataclass
class Spent:
    cpu: float = 0.0
    wall: float = 0.0
    statements: dict[str, float] = field(default_factory=dict)

    @property
    def inbox(self) -> float:
        """The statements recording each batch's events in the consumer's inbox (`batch <topic>`)."""
        return sum(v for work, v in self.statements.items() if work.startswith("batch "))

    @property
    def work(self) -> float:
        """Every other statement: the messages' own work."""
        return sum(self.statements.values()) - self.inbox


@contextlib.contextmanager
def spending(profile: cProfile.Profile | None = None) -> Iterator[Spent]:
    """What the block spent, filled in when it ends; `profile` (on the CPU clock) runs over it."""
    spent = Spent()
    before = statements_by_work()
    if profile is not None:
        profile.enable()
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        yield spent
    finally:
        spent.cpu, spent.wall = time.process_time() - cpu, time.perf_counter() - wall
        if profile is not None:
            profile.disable()
        after = statements_by_work()
        spent.statements = {work: v - before.get(work, 0) for work, v in after.items() if v != before.get(work, 0)}
