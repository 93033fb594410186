"""How fast the two consumer modes apply events: 10,000 events on 3 topics, a trivial handler.

    python libs/servicekit/bench/consumers.py [--events 10000] [--postgres URL --bootstrap HOST:PORT]

Without servers given, starts an embedded PostgreSQL and the embedded broker of its own (as the
tests do). The events are published once; each mode then reads them all in a fresh group, into
a fresh inbox, with a handler that does nothing: what is measured is the consumer's own cost (the
inbox records, transactions, offset commits, broker round trips). Reports, per mode, events per
second from the first event applied to the last, and the CPU seconds of this process and of the
broker over the whole read (PostgreSQL's are not counted).
"""

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from aiokafka import AIOKafkaProducer
from contracts import Event
from localstack.broker import TansuBroker
from localstack.ports import free_port
from localstack.postgres import EmbeddedPostgres, create_databases, database_url
from servicekit.batches import batch_consumer_of
from servicekit.inbox import inbox_table
from servicekit.logging import configure_logging
from servicekit.messaging import ConsumerGroup, ConsumerMode, consume, make_broker
from servicekit.topics import create_topics
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine


class _Benched(Event):
    key: str
    n: int

    def partition_key(self) -> str:
        return self.key


class BenchConsumedA(_Benched):
    event_type: Literal["BenchConsumedA"] = "BenchConsumedA"


class BenchConsumedB(_Benched):
    event_type: Literal["BenchConsumedB"] = "BenchConsumedB"


class BenchConsumedC(_Benched):
    event_type: Literal["BenchConsumedC"] = "BenchConsumedC"


KINDS: list[type[_Benched]] = [BenchConsumedA, BenchConsumedB, BenchConsumedC]
SESSION_TIMEOUT_MS = 2000  # the embedded broker's shortest useful session (as in the tests)


def cpu_of(pid: int) -> float:
    """User and system CPU seconds of another process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def publish(bootstrap: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        sent = []
        for n in range(count):
            event = KINDS[n % 3](account_id=uuid.uuid4(), correlation_id=uuid.uuid4(), key=str(uuid.uuid4()), n=n)
            sent.append(await producer.send(event.topic, event.model_dump_json().encode(),
                                            key=event.partition_key().encode()))
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def read_all(mode: ConsumerMode, bootstrap: str, url: str, count: int,
                   broker_cpu: Callable[[], float]) -> dict[str, float]:
    engine = create_async_engine(url, pool_size=10)
    metadata = MetaData()
    inbox_table(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    seen: list[float] = []
    done = asyncio.Event()

    async def handler(conn: AsyncConnection, event: Event) -> None:
        seen.append(time.perf_counter())
        if len(seen) >= count:
            done.set()

    broker = make_broker(bootstrap, client_id=f"bench-{mode}")
    group = ConsumerGroup(f"bench-{uuid.uuid4().hex[:8]}", SESSION_TIMEOUT_MS, mode)
    consume(broker, dict.fromkeys(KINDS, handler), engine=engine, group=group, service=f"bench-{mode}")
    cpu, other, started = time.process_time(), broker_cpu(), time.perf_counter()
    await broker.start()
    batches = batch_consumer_of(broker)
    if batches is not None:
        await batches.start()
    try:
        await asyncio.wait_for(done.wait(), 600)
    finally:
        if batches is not None:
            await batches.stop()
        await broker.stop()
        await engine.dispose()
    return {
        "events/s": (len(seen) - 1) / (seen[-1] - seen[0]),
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "broker cpu": broker_cpu() - other,
        "transactions": float(batches.transactions) if batches is not None else float(len(seen)),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--postgres", help="an admin URL (postgresql+asyncpg://...)")
    parser.add_argument("--bootstrap", help="a broker's HOST:PORT")
    args = parser.parse_args()
    configure_logging("bench", "INFO", as_json=True)  # as a service runs: FastStream's per-message lines off
    workdir = Path(tempfile.mkdtemp(prefix="bench-consumers-"))
    pg = tansu = None
    if not args.postgres:
        pg = EmbeddedPostgres(workdir / "pgdata", free_port())
        pg.start()
    if not args.bootstrap:
        tansu = TansuBroker(free_port(), workdir / "tansu.log")
        tansu.start()
    admin = args.postgres or pg.url()  # type: ignore[union-attr]
    bootstrap = args.bootstrap or tansu.bootstrap  # type: ignore[union-attr]
    broker_cpu = (lambda: cpu_of(tansu.process.pid)) if tansu and tansu.process else (lambda: 0.0)
    try:
        await create_topics(bootstrap, [k.topic for k in KINDS], partitions=3)
        await publish(bootstrap, args.events)
        print(f"{args.events} events on {len(KINDS)} topics of 3 partitions each; a handler that does nothing")
        print("| mode | events/s | whole read | CPU s (process) | CPU s (broker) | transactions |")
        print("|---|---|---|---|---|---|")
        for mode in ("per-topic", "batch"):
            name = f"bench_{mode.replace('-', '_')}_{uuid.uuid4().hex[:6]}"
            await create_databases(admin, [name])
            r = await read_all(mode, bootstrap, database_url(admin, name), args.events, broker_cpu)
            print(f"| {mode} | {r['events/s']:,.0f} | {r['seconds']:.1f} s | {r['cpu']:.2f} | "
                  f"{r['broker cpu']:.2f} | {r['transactions']:,.0f} |", flush=True)
    finally:
        if tansu:
            tansu.stop()
        if pg:
            pg.remove()


if __name__ == "__main__":
    asyncio.run(main())
