"""The outbox relay and the consumer policy on real PostgreSQL and the real broker; the consumer
cases in both consumer modes (one subscriber per topic, and the batch consumer)."""

import asyncio
import contextlib
import json
import uuid
from typing import Literal

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from contracts import Event, dlq_topic
from localstack.broker import create_topics
from servicekit.batches import batch_consumer_of
from servicekit.errors import NotYet, Rejected
from servicekit.inbox import inbox_table, record_if_new
from servicekit.messaging import (
    ConsumerGroup, ConsumerMode, RetryPolicy, consume, make_broker, subscribe, topic_group,
)
from servicekit.outbox import add_to_outbox, outbox_table
from servicekit.relay import OutboxRelay
from servicekit.topics import ServiceTopics
from sqlalchemy import Column, MetaData, Table, Text, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

metadata = MetaData()
outbox = outbox_table(metadata)
inbox_table(metadata)
effects = Table("effects", metadata, Column("key", Text), Column("note", Text))


class KitProbed(Event):
    event_type: Literal["KitProbed"] = "KitProbed"
    key: str
    n: int
    behaviour: str = "ok"

    def partition_key(self) -> str:
        return self.key


def probe(key: str, n: int, behaviour: str = "ok") -> KitProbed:
    return KitProbed(account_id=uuid.uuid4(), correlation_id=uuid.uuid4(), key=key, n=n, behaviour=behaviour)


@pytest.fixture(scope="module")
async def engine(infra):
    url = await asyncio.to_thread(infra.new_database, "kit")
    eng = create_async_engine(url)
    async with eng.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await create_topics(infra.kafka_bootstrap, [KitProbed.topic, dlq_topic(KitProbed.topic)])
    yield eng
    await eng.dispose()


@pytest.fixture(params=["per-topic", "batch"])
def mode(request) -> ConsumerMode:
    return request.param


@contextlib.asynccontextmanager
async def consuming(broker):
    """The broker and, in batch mode, its batch consumer, running (as a service's lifespan does)."""
    await broker.start()
    batches = batch_consumer_of(broker)
    try:
        if batches is not None:
            await batches.start()
        yield
    finally:
        if batches is not None:
            await batches.stop()
        await broker.stop()


async def records_for_key(bootstrap: str, topic: str, key: str, want: int, timeout: float = 20) -> list:
    """Everything on `topic` with `key`, read from the start until `want` arrived and the topic is quiet."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"t-{uuid.uuid4()}",
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
                got.extend(r for r in records if r.key == key.encode())
    finally:
        await consumer.stop()
    return got


async def wait_until_published(engine, timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while True:
            async with engine.connect() as conn:
                if not await conn.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")):
                    return
            await asyncio.sleep(0.05)


async def test_relay_publishes_committed_rows_in_order_and_only_those(engine, infra):
    key = str(uuid.uuid4())
    async with engine.begin() as conn:
        await add_to_outbox(conn, outbox, *[probe(key, n) for n in range(5)])
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await add_to_outbox(conn, outbox, probe(key, 99))
            raise RuntimeError("rolled back")
    broker = make_broker(infra.kafka_bootstrap, client_id="t")
    await broker.start()
    relay = OutboxRelay(engine, broker, service="kit", topics=ServiceTopics(infra.kafka_bootstrap, []))
    await relay.start()
    try:
        await wait_until_published(engine)
        # Written after the relay went idle: it must wake on the commit, not wait for a poll.
        async with engine.begin() as conn:
            await add_to_outbox(conn, outbox, probe(key, 5))
        await wait_until_published(engine)
    finally:
        await relay.stop()
        await broker.stop()
    records = await records_for_key(infra.kafka_bootstrap, KitProbed.topic, key, 6)
    assert [json.loads(r.value)["n"] for r in records] == [0, 1, 2, 3, 4, 5]
    assert dict(records[0].headers)["event_type"] == b"KitProbed"


async def test_only_one_relay_publishes_and_a_standby_takes_over(engine, infra):
    broker = make_broker(infra.kafka_bootstrap, client_id="t")
    await broker.start()
    first, second = (OutboxRelay(engine, broker, service=name, topics=ServiceTopics(infra.kafka_bootstrap, []))
                     for name in ("a", "b"))
    await first.start()
    await asyncio.sleep(0.5)
    await second.start()
    await asyncio.sleep(0.5)
    try:
        assert first.is_leader and not second.is_leader
        await first.stop()  # its lock goes with its connection
        key = str(uuid.uuid4())
        async with engine.begin() as conn:
            await add_to_outbox(conn, outbox, probe(key, 1))
        await wait_until_published(engine, timeout=15)
        assert second.is_leader
    finally:
        await second.stop()
        await broker.stop()
    assert len(await records_for_key(infra.kafka_bootstrap, KitProbed.topic, key, 1)) == 1


async def test_consumer_applies_once_dead_letters_poison_and_keeps_going(engine, infra, mode):
    key = str(uuid.uuid4())
    attempts: dict[int, int] = {}

    async def handler(conn: AsyncConnection, event: KitProbed) -> None:
        attempts[event.n] = attempts.get(event.n, 0) + 1
        if event.behaviour == "reject":
            raise Rejected("no such thing")
        if event.behaviour == "not-yet" and attempts[event.n] < 3:
            raise NotYet("the fact it needs is not here yet")
        if event.behaviour == "never":
            raise NotYet("the fact it needs never comes")
        await conn.execute(insert(effects).values(key=event.key, note=str(event.n)))

    broker = make_broker(infra.kafka_bootstrap, client_id="t")
    subscribe(broker, KitProbed, handler, engine=engine, group=ConsumerGroup(f"g-{key}", mode=mode), service="kit",
              retry=RetryPolicy(first=0.01, cap=0.05, max_not_yet=0.5))
    first = probe(key, 1)
    raw = [
        first.model_dump_json().encode(),
        first.model_dump_json().encode(),  # redelivery of the same event
        b"{not json",
        json.dumps({"event_type": "KitProbed", "key": key}).encode(),  # fails validation
        probe(key, 2, "reject").model_dump_json().encode(),
        probe(key, 3, "not-yet").model_dump_json().encode(),
        probe(key, 5, "never").model_dump_json().encode(),
        probe(key, 4).model_dump_json().encode(),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    for body in raw:
        await producer.send_and_wait(KitProbed.topic, body, key=key.encode())
    await producer.stop()
    async with consuming(broker), asyncio.timeout(30):
        while True:
            async with engine.connect() as conn:
                notes = (await conn.scalars(select(effects.c.note).where(effects.c.key == key))).all()
            if "4" in notes:
                break
            await asyncio.sleep(0.1)
    assert notes == ["1", "3", "4"]
    assert attempts[3] >= 3  # retried until its fact arrived (a rebalance may redeliver it once more)
    dead = await records_for_key(infra.kafka_bootstrap, dlq_topic(KitProbed.topic), key, 4)
    reasons = [dict(r.headers)["x-reason"] for r in dead]
    assert reasons == [b"invalid", b"invalid", b"rejected", b"waited-too-long"]
    assert dead[0].value == b"{not json"


class _Work:
    """A unit of work as a service writes one: the inbox record and the effect in one transaction."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    @classmethod
    @contextlib.asynccontextmanager
    async def begin(cls, engine):
        async with engine.begin() as conn:
            yield cls(conn)

    async def record_if_new(self, consumer: str, event_id: uuid.UUID) -> bool:
        return await record_if_new(self.conn, consumer, event_id)


async def test_a_unit_of_work_records_the_event_with_its_effect(engine, infra, mode):
    key = str(uuid.uuid4())
    attempts: dict[int, int] = {}

    async def handler(uow: _Work, event: KitProbed) -> None:
        attempts[event.n] = attempts.get(event.n, 0) + 1
        await uow.conn.execute(insert(effects).values(key=event.key, note=str(event.n)))
        if event.behaviour == "not-yet" and attempts[event.n] < 2:
            raise NotYet("rolled back with its inbox record, so the retry applies it")

    broker = make_broker(infra.kafka_bootstrap, client_id="t")
    consume(broker, {KitProbed: handler}, engine=engine, group=ConsumerGroup(f"g-{key}", mode=mode),
            service="kit-uow", retry=RetryPolicy(first=0.01, cap=0.05), unit_of_work=_Work.begin,
            joined_unit_of_work=_Work)
    first = probe(key, 1, "not-yet")
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    for body in (first, first, probe(key, 2)):
        await producer.send_and_wait(KitProbed.topic, body.model_dump_json().encode(), key=key.encode())
    await producer.stop()
    async with consuming(broker), asyncio.timeout(30):
        while True:
            async with engine.connect() as conn:
                notes = (await conn.scalars(select(effects.c.note).where(effects.c.key == key))).all()
            if "2" in notes:
                break
            await asyncio.sleep(0.1)
    assert notes == ["1", "2"]


async def test_an_offset_is_committed_only_after_its_transaction(engine, infra, mode):
    key = str(uuid.uuid4())
    entered, release = asyncio.Event(), asyncio.Event()

    async def handler(conn: AsyncConnection, event: KitProbed) -> None:
        await conn.execute(insert(effects).values(key=event.key, note=str(event.n)))
        if event.key == key:
            entered.set()
            await release.wait()  # applied, not committed yet

    group = ConsumerGroup(f"g-{key}", 2000, mode)
    broker = make_broker(infra.kafka_bootstrap, client_id="t")
    consume(broker, {KitProbed: handler}, engine=engine, group=group, service="kit-commit")
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    placed = await producer.send_and_wait(KitProbed.topic, probe(key, 1).model_dump_json().encode(), key=key.encode())
    await producer.stop()
    tp = TopicPartition(KitProbed.topic, placed.partition)
    looker = AIOKafkaConsumer(bootstrap_servers=infra.kafka_bootstrap, enable_auto_commit=False,
                              group_id=group.id if mode == "batch" else topic_group(group.id, KitProbed.topic))
    await looker.start()
    try:
        async with consuming(broker):
            await asyncio.wait_for(entered.wait(), 30)
            await asyncio.sleep(0.5)  # time enough for a commit that would come too early
            assert (await looker.committed(tp) or 0) <= placed.offset
            release.set()
            async with asyncio.timeout(20):
                while (await looker.committed(tp) or 0) <= placed.offset:
                    await asyncio.sleep(0.1)
    finally:
        await looker.stop()
    assert await notes_of(engine, key) == ["1"]


async def notes_of(engine, key: str) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.scalars(select(effects.c.note).where(effects.c.key == key))).all())
