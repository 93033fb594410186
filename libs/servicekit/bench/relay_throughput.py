"""Benchmark of the outbox relay: how fast it empties an outbox of 10,000 rows onto the broker.

    python libs/servicekit/bench/relay_throughput.py [--rows 10000] [--batch-size 500] [--repeat 3]
        [--keys 1000] [--topics 1] [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
        [--kafka-bootstrap 127.0.0.1:9092]

Starts an embedded PostgreSQL and a Tansu broker (or uses the ones given), makes a fresh
database with the kit's outbox table, and starts the kit's relay (servicekit.relay.OutboxRelay
with the kit's producer, servicekit.messaging.make_broker) in this process. Each run writes
`--rows` rows in one transaction (event-sized payloads of about 700 bytes, `--keys` keys, so
every partition takes part, spread over `--topics` topics of three partitions each, as a
service's outbox holds several events' topics) and times from that commit, which wakes the relay,
to the last row marked published. It reports rows per second and the processor time the relay's
process spent (this process: the relay is the only thing working in it while it is timed), the
broker's and PostgreSQL's beside it.
"""

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from localstack.broker import TansuBroker, create_topics
from localstack.ports import free_port
from localstack.postgres import EmbeddedPostgres, create_databases, database_url
from servicekit.messaging import make_broker
from servicekit.metrics import OUTBOX_PUBLISHED, OUTBOX_REQUEUED
from servicekit.outbox import outbox_table
from servicekit.relay import OutboxRelay
from servicekit.topics import ServiceTopics, TopicLayout

TOPIC = "RelayBenchmarked"  # and RelayBenchmarked2, 3 ... with --topics
SERVICE = "relay-bench"

# One row as add_to_outbox writes it: the event's JSON and the outbox's headers. The payload is
# about the size of an OrderCreated with one line (envelope, contact, a line, totals).
FILL = """
INSERT INTO outbox (topic, key, payload, headers)
SELECT CAST(:topic AS text) || CASE WHEN n % CAST(:topics AS int) = 0 THEN ''
                                   ELSE (n % CAST(:topics AS int) + 1)::text END, 'key-' || (n % CAST(:keys AS int)),
       jsonb_build_object(
           'event_id', md5(CAST(:salt AS text) || n::text)::uuid, 'event_type', CAST(:topic AS text), 'schema_version', 1,
           'occurred_at', '2026-12-01T10:00:00Z', 'account_id', md5(CAST(:salt AS text) || 'account')::uuid,
           'correlation_id', md5(CAST(:salt AS text) || 'c' || n::text)::uuid, 'causation_id', NULL,
           'order_id', md5(CAST(:salt AS text) || 'o' || (n % CAST(:keys AS int))::text)::uuid, 'n', n,
           'contact', jsonb_build_object('name', 'Олена Шевченко', 'email', 'olena' || n || '@ukr.net',
                                         'phone', '+38050' || lpad(n::text, 7, '0')),
           'lines', jsonb_build_array(jsonb_build_object(
               'product', 'Англійська B2: інтенсив', 'price', '4900.00', 'currency', 'UAH',
               'access', jsonb_build_object('starts', 'on-payment', 'days', 180, 'lessons', 48))),
           'total', '4900.00', 'currency', 'UAH'),
       jsonb_build_object('event_type', CAST(:topic AS text), 'event_id', md5(CAST(:salt AS text) || n::text)::uuid::text,
                          'correlation_id', md5(CAST(:salt AS text) || 'c' || n::text)::uuid::text,
                          'content-type', 'application/json')
FROM generate_series(1, CAST(:rows AS int)) AS n
"""


@dataclass
class Run:
    seconds: float
    relay_cpu: float
    broker_cpu: float
    postgres_cpu: float


def cpu_of(process: psutil.Process | None, with_children: bool = False) -> float:
    if process is None:
        return 0.0
    total = 0.0
    for p in [process, *(process.children(recursive=True) if with_children else [])]:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def published_so_far() -> float:
    return OUTBOX_PUBLISHED.labels(SERVICE)._value.get()


async def one_run(engine: AsyncEngine, relay: OutboxRelay, args: argparse.Namespace,
                  broker_process: psutil.Process | None, postgres_process: psutil.Process | None) -> Run:
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE outbox"))
    start_count = published_so_far()
    me = psutil.Process()
    # Filled with the relay stopped, then woken by one commit: what is timed is publishing alone.
    await relay.stop()
    async with engine.begin() as conn:
        await conn.execute(text(FILL), {"topic": TOPIC, "topics": args.topics, "keys": args.keys,
                                        "rows": args.rows, "salt": uuid.uuid4().hex})
    before = (time.perf_counter(), cpu_of(me), cpu_of(broker_process), cpu_of(postgres_process, True))
    await relay.start()
    # The relay counts what it marked published; watching that costs this process nothing to speak of.
    while published_so_far() - start_count < args.rows:
        await asyncio.sleep(0.01)
    after = (time.perf_counter(), cpu_of(me), cpu_of(broker_process), cpu_of(postgres_process, True))
    async with engine.connect() as conn:
        left = await conn.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    assert left == 0, f"{left} rows left unpublished"
    # A relay that took the broker's answers for a lost log would have published rows twice.
    assert not OUTBOX_REQUEUED.labels(SERVICE)._value.get(), "the relay queued published rows again"
    return Run(*(b - a for a, b in zip(before, after)))


async def bench(args: argparse.Namespace, admin_url: str, kafka: str,
                broker_process: psutil.Process | None, postgres_process: psutil.Process | None) -> None:
    name = f"relay_bench_{uuid.uuid4().hex[:8]}"
    await create_databases(admin_url, [name])
    engine = create_async_engine(database_url(admin_url, name))
    metadata = MetaData()
    outbox_table(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    names = [TOPIC, *(f"{TOPIC}{i}" for i in range(2, args.topics + 1))]
    await create_topics(kafka, names)
    producer = make_broker(kafka, client_id=SERVICE)
    await producer.start()
    topics = ServiceTopics(kafka, names, TopicLayout(partitions=3))
    relay = OutboxRelay(engine, producer, service=SERVICE, topics=topics, batch_size=args.batch_size)
    await relay.start()
    try:
        runs = []
        for i in range(args.warmup + args.repeat):
            run = await one_run(engine, relay, args, broker_process, postgres_process)
            if i >= args.warmup:
                runs.append(run)
            print(f"{'warm-up' if i < args.warmup else 'run'} {i + 1}: {args.rows / run.seconds:,.0f} rows/s, "
                  f"{run.seconds:.2f} s, relay CPU {run.relay_cpu:.2f} s, broker CPU {run.broker_cpu:.2f} s, "
                  f"PostgreSQL CPU {run.postgres_cpu:.2f} s", flush=True)
        middle = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
        print(f"\nmedian of {len(runs)}: {args.rows / middle.seconds:,.0f} rows/s "
              f"(best {args.rows / min(r.seconds for r in runs):,.0f}); per 1,000 rows: "
              f"relay CPU {statistics.median(r.relay_cpu for r in runs) / args.rows * 1000:.3f} s, "
              f"broker CPU {statistics.median(r.broker_cpu for r in runs) / args.rows * 1000:.3f} s, "
              f"PostgreSQL CPU {statistics.median(r.postgres_cpu for r in runs) / args.rows * 1000:.3f} s")
    finally:
        await relay.stop()
        await producer.stop()
        await engine.dispose()


async def main_async(args: argparse.Namespace) -> None:
    stops = []
    workdir = Path(tempfile.mkdtemp(prefix="relay-bench-"))
    broker_process = postgres_process = None
    try:
        admin_url = args.postgres_url
        if not admin_url:
            pg = EmbeddedPostgres(workdir / "pgdata", free_port())
            await asyncio.to_thread(pg.start)
            stops.append(pg.remove)
            admin_url = pg.url()
            if (pid := pg.server_pid()) is not None:
                postgres_process = psutil.Process(pid)
        kafka = args.kafka_bootstrap
        if not kafka:
            broker = TansuBroker(free_port(), workdir / "tansu.log")
            await asyncio.to_thread(broker.start)
            stops.append(broker.stop)
            kafka = broker.bootstrap
            assert broker.process is not None
            broker_process = psutil.Process(broker.process.pid)
        await bench(args, admin_url, kafka, broker_process, postgres_process)
    finally:
        for stop in reversed(stops):
            stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000, help="outbox rows per run")
    parser.add_argument("--batch-size", type=int, default=500, help="rows the relay takes at a time")
    parser.add_argument("--keys", type=int, default=1_000, help="distinct keys among the rows")
    parser.add_argument("--topics", type=int, default=1, help="topics the rows are spread over")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs")
    parser.add_argument("--warmup", type=int, default=1, help="runs before the timed ones")
    parser.add_argument("--postgres-url", help="admin URL of a PostgreSQL server to use instead of an embedded one")
    parser.add_argument("--kafka-bootstrap", help="a running Kafka-protocol broker instead of a Tansu of our own")
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
