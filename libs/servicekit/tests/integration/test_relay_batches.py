"""The relay publishes a batch at a time, on real PostgreSQL and the real broker: each key's rows
in id order, the batch marked in one statement, a row the broker never took stops the marking
there, losing nothing once it can go, and a broker killed in the middle of the batches loses
nothing either."""

import asyncio
import json
import uuid
from collections import defaultdict
from typing import Literal

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import MessageSizeTooLargeError
from contracts import Event, dlq_topic
from localstack.broker import create_topics
from servicekit.messaging import make_broker
from servicekit.metrics import OUTBOX_REQUEUED
from servicekit.outbox import add_to_outbox, outbox_table
from servicekit.relay import OutboxRelay
from servicekit.statements import tallied
from servicekit.topics import ServiceTopics, TopicLayout
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine

metadata = MetaData()
outbox = outbox_table(metadata)


class SeatReserved(Event):
    event_type: Literal["SeatReserved"] = "SeatReserved"
    key: str
    n: int
    note: str = ""

    def partition_key(self) -> str:
        return self.key


TOPIC = SeatReserved.topic


def seat(key: str, n: int, note: str = "") -> SeatReserved:
    return SeatReserved(account_id=uuid.uuid4(), correlation_id=uuid.uuid4(), key=key, n=n, note=note)


@pytest.fixture
async def engine(infra):
    url = await asyncio.to_thread(infra.new_database, "batches")
    eng = create_async_engine(url)
    async with eng.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await create_topics(infra.kafka_bootstrap, [TOPIC, dlq_topic(TOPIC)])
    yield eng
    await eng.dispose()


@pytest.fixture
async def relay(engine, infra):
    """A relay that is not running: the test calls publish_pending itself, one batch at a time."""
    broker = make_broker(infra.kafka_bootstrap, client_id="batches")
    await broker.start()
    relay = OutboxRelay(engine, broker, service="batches", topics=ServiceTopics(infra.kafka_bootstrap, [TOPIC]))
    yield relay
    await relay.stop()
    await broker.stop()


async def book(engine, events: list[SeatReserved]) -> None:
    async with engine.begin() as conn:
        await add_to_outbox(conn, outbox, *events)


async def records_for(bootstrap: str, keys: set[str], want: int, timeout: float = 20) -> list:
    """Everything on the topic with one of `keys`, in each partition's order, once `want` arrived."""
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id=f"t-{uuid.uuid4()}",
                                auto_offset_reset="earliest")
    await consumer.start()
    got: list = []
    try:
        async with asyncio.timeout(timeout):
            quiet = 0
            while len(got) < want or quiet < 3:
                batch = await consumer.getmany(timeout_ms=200)
                records = [r for rs in batch.values() for r in rs]
                quiet = 0 if records else quiet + 1
                got.extend(r for r in records if r.key.decode() in keys)
    finally:
        await consumer.stop()
    return sorted(got, key=lambda r: (r.partition, r.offset))


def by_key(records: list) -> dict[str, list[int]]:
    numbers: dict[str, list[int]] = defaultdict(list)
    for r in records:
        numbers[r.key.decode()].append(json.loads(r.value)["n"])
    return numbers


async def outbox_rows(engine) -> list:
    async with engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT id, (payload->>'n')::int AS n, published_at, kafka_partition, kafka_offset, attempts, last_error "
            "FROM outbox ORDER BY id"))).all()


async def test_a_batch_keeps_each_keys_order_is_marked_in_one_statement_and_the_broker_reaches_it(engine, relay,
                                                                                                   infra):
    keys = [f"order-{uuid.uuid4()}" for _ in range(8)]
    await book(engine, [seat(keys[n % 8], n) for n in range(120)])
    with tallied("test relay") as statements:
        assert await relay.publish_pending() == 120
    # One read of the batch, one write marking all of it, placements included.
    assert statements.count == 2
    assert await relay.publish_pending() == 0

    records = await records_for(infra.kafka_bootstrap, set(keys), 120)
    assert by_key(records) == {key: list(range(i, 120, 8)) for i, key in enumerate(keys)}
    # Each row records where the broker put it.
    rows = {r.n: (r.kafka_partition, r.kafka_offset) for r in await outbox_rows(engine)}
    assert rows == {json.loads(r.value)["n"]: (r.partition, r.offset) for r in records}
    # And the broker's end offsets reach past the last of them: the embedded broker reports a
    # record batch's end wrongly when it holds several records, which would read as a lost log.
    last = {(TOPIC, p): max(o for pp, o in rows.values() if pp == p) for p, _ in rows.values()}
    topics = ServiceTopics(infra.kafka_bootstrap, [TOPIC])
    try:
        reach = await topics.reach(last)
    finally:
        await topics.close()
    assert reach == {tp: offset + 1 for tp, offset in last.items()}


async def test_a_row_the_producer_refuses_stops_the_marking_there_and_nothing_is_lost(engine, relay, infra):
    keys = [f"order-{uuid.uuid4()}" for _ in range(6)]
    # Row 30 is over the producer's limit for one record (1 MiB): refused before it leaves.
    await book(engine, [seat(keys[n % 6], n, note="x" * 1_100_000 if n == 30 else "") for n in range(60)])

    with pytest.raises(MessageSizeTooLargeError):
        await relay.publish_pending()
    rows = await outbox_rows(engine)
    marked = [r.n for r in rows if r.published_at is not None]
    # What is marked is the rows before the first one not taken, in id order, and none after it.
    assert marked == list(range(len(marked))) and len(marked) <= 30
    refused = next(r for r in rows if r.n == 30)
    assert refused.attempts == 1 and "MessageSizeTooLarge" in refused.last_error
    assert all(r.kafka_offset is None for r in rows if r.published_at is None)

    # Retried from that row on, it fails again, and nothing is marked past it.
    with pytest.raises(MessageSizeTooLargeError):
        await relay.publish_pending()
    assert max(r.n for r in await outbox_rows(engine) if r.published_at is not None) < 30

    # Once it can go (here: made small), everything goes, each key in order.
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE outbox SET payload = jsonb_set(payload, '{note}', '\"\"') "
                                "WHERE (payload->>'n')::int = 30"))
    while await relay.publish_pending():
        pass
    rows = await outbox_rows(engine)
    assert all(r.published_at is not None for r in rows)
    records = await records_for(infra.kafka_bootstrap, set(keys), 60)
    for i, key in enumerate(keys):
        numbers = by_key(records)[key]
        # Rows the broker took after the refused one may arrive twice (consumers' inboxes absorb
        # that); the first arrival of each is in id order, and none is missing.
        first = list(dict.fromkeys(numbers))
        assert first == list(range(i, 60, 6)), key
        # Nothing marked before the refusal went out twice.
        assert all(numbers.count(n) == 1 for n in marked if n % 6 == i)
    # The partitions hold each row's last copy where the outbox says.
    placed = {(r.kafka_partition, r.kafka_offset) for r in rows}
    assert placed <= {(r.partition, r.offset) for r in records}



async def test_a_broker_killed_in_the_middle_of_the_batches_loses_nothing(engine, own_broker):
    # As many partitions as the embedded broker gives a topic it makes on its own: whoever makes
    # it again after the restart, each key stays on its partition.
    topics = ServiceTopics(own_broker.bootstrap, [TOPIC, dlq_topic(TOPIC)], TopicLayout(partitions=4))
    await topics.ensure()
    broker = make_broker(own_broker.bootstrap, client_id="batches")
    await broker.start()
    relay = OutboxRelay(engine, broker, service="batches", topics=topics, settle=0.5)
    keys = [f"order-{uuid.uuid4()}" for _ in range(10)]
    await book(engine, [seat(keys[n % 10], n) for n in range(3000)])
    await relay.start()
    try:
        async def some_published() -> bool:
            rows = await outbox_rows(engine)
            return any(r.published_at is not None for r in rows)

        async with asyncio.timeout(30):
            while not await some_published():
                await asyncio.sleep(0.01)
        assert own_broker.process is not None
        requeued = OUTBOX_REQUEUED.labels("batches")._value.get()
        own_broker.process.kill()  # mid-way: sends in flight, batches left
        own_broker.process.wait()
        assert any(r.published_at is None for r in await outbox_rows(engine))
        own_broker.start()
        # The launcher makes the topics again as it starts the broker (the relay would too, a
        # moment later).
        await create_topics(own_broker.bootstrap, [TOPIC, dlq_topic(TOPIC)], partitions=4)

        async with asyncio.timeout(90):
            while any(r.published_at is None for r in await outbox_rows(engine)):
                await asyncio.sleep(0.2)
        # What had been published before the kill was lost with the broker, and noticed.
        assert OUTBOX_REQUEUED.labels("batches")._value.get() > requeued
    finally:
        await relay.stop()
        await broker.stop()
    records = await records_for(own_broker.bootstrap, set(keys), 3000, timeout=60)
    # Every row is on the broker that came back, each where the outbox says it is.
    on_broker = {(r.partition, r.offset): json.loads(r.value)["n"] for r in records}
    rows = await outbox_rows(engine)
    assert sorted(set(on_broker.values())) == list(range(3000))
    assert all(on_broker[(r.kafka_partition, r.kafka_offset)] == r.n for r in rows)
