"""A broker that restarts empty loses nothing: on a broker of the test's own, killed with SIGKILL.

The embedded broker keeps everything in memory, so a restart brings back a broker with no
topics, no messages and no consumer groups, answering pings as if nothing happened.
"""

import asyncio
import json
import sys
import uuid
from typing import Literal

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from contracts import Event, dlq_topic
from localstack.broker import TansuBroker, create_topics
from servicekit.errors import NotYet
from servicekit.inbox import inbox_table
from servicekit.messaging import ConsumerGroup, ConsumerMode, RetryPolicy, make_broker, subscribe, topic_group
from servicekit.outbox import add_to_outbox, outbox_table
from servicekit.relay import OutboxRelay
from servicekit.runtime import build_app
from servicekit.settings import ServiceSettings
from servicekit.testing import running
from servicekit.topics import ServiceTopics, TopicLayout
from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

metadata = MetaData()
outbox = outbox_table(metadata)
inbox_table(metadata)
applied = Table("applied", metadata, Column("key", Text), Column("n", Integer))


class LessonBooked(Event):
    event_type: Literal["LessonBooked"] = "LessonBooked"
    key: str
    n: int

    def partition_key(self) -> str:
        return self.key


def booking(n: int, key: str | None = None) -> LessonBooked:
    return LessonBooked(account_id=uuid.uuid4(), correlation_id=uuid.uuid4(), key=key or f"k{n % 7}", n=n)


TOPICS = [LessonBooked.topic, dlq_topic(LessonBooked.topic)]


@pytest.fixture
async def database(infra):
    url = await asyncio.to_thread(infra.new_database, "recovery")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield url, engine
    await engine.dispose()


@pytest.fixture
def broker(own_broker: TansuBroker) -> TansuBroker:
    """A broker of this test's own (the plugin's), so it can be killed; restarted with `.start()`."""
    return own_broker


def kill(tansu: TansuBroker) -> None:
    assert tansu.process is not None
    tansu.process.kill()  # SIGKILL: no chance to say goodbye
    tansu.process.wait()


class Hold:
    """Lets a test keep messages unapplied (retried in place, offsets uncommitted) until released."""

    def __init__(self) -> None:
        self.on = False
        self.seen: list[int] = []
        # While set and not open, an event being applied waits for it, its transaction open.
        self.gate: asyncio.Event | None = None


def service(url: str, bootstrap: str, hold: Hold, mode: ConsumerMode = "per-topic", group: str | None = None):
    """A small service on the real runtime: it publishes LessonBooked and consumes it itself."""

    async def apply(conn: AsyncConnection, event: LessonBooked) -> None:
        hold.seen.append(event.n)
        if hold.gate is not None:
            await hold.gate.wait()
        if hold.on:
            raise NotYet("held by the test")
        await conn.execute(insert(applied).values(key=event.key, n=event.n))

    def subscribers(broker, engine, group: ConsumerGroup) -> None:
        subscribe(broker, LessonBooked, apply, engine=engine, group=group, service="recovery",
                  retry=RetryPolicy(first=0.05, cap=0.2))

    settings = ServiceSettings(database_url=url, kafka_bootstrap_servers=bootstrap, log_json=False,
                               consumer_group=group or f"recovery-{uuid.uuid4().hex[:8]}", kafka_session_timeout_ms=2000,
                               consumer_mode=mode)
    return build_app(name="recovery", settings=settings, subscribers=subscribers, publishes=[LessonBooked])


async def book(engine, numbers: range, key: str | None = None) -> None:
    async with engine.begin() as conn:
        await add_to_outbox(conn, outbox, *[booking(n, key) for n in numbers])


async def eventually(check, timeout: float = 30, every: float = 0.1):
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(every)
    return result


async def unpublished(engine) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def applied_numbers(engine) -> list[int]:
    async with engine.connect() as conn:
        return sorted((await conn.scalars(select(applied.c.n))).all())


async def topic_records(bootstrap: str, topic: str) -> list:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            await consumer.topics()
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        got = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batch = await consumer.getmany(timeout_ms=500)
            got.extend(r for rs in batch.values() for r in rs)
        return got
    finally:
        await consumer.stop()


@pytest.mark.parametrize("mode", ["per-topic", "batch"])
async def test_broker_restarted_empty_loses_nothing(database, broker, mode):
    url, engine = database
    hold = Hold()
    app = service(url, broker.bootstrap, hold, mode)
    async with running(app) as client:
        # The service made its topics itself at start.
        assert (await client.get("/ready")).json() == {
            "status": "ready", "checks": {"database": "ok", "broker": "ok", "topics": "ok"}}
        await book(engine, range(10))
        await eventually(lambda: _have(engine, 10))
        # Applied long ago and pruned from the outbox: the old log holds more than the outbox, so
        # a consumer that kept its old position on the re-created topic would skip new messages.
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM outbox WHERE (payload->>'n')::int < 10"))
        # Ten more published and acknowledged, but not yet applied when the broker dies: the
        # lost checkout of the incident (its row marked published, its message gone).
        hold.on = True
        await book(engine, range(10, 20))
        await eventually(lambda: _none_unpublished(engine))
        await eventually(lambda: _seen_any(hold, range(10, 20)))  # the consumer is on them, held

        kill(broker)
        down = await client.get("/ready")
        assert down.status_code == 503 and down.json()["checks"]["broker"] == "down"
        await book(engine, range(20, 25))  # written while the broker is away

        broker.start()
        answers: list[dict] = []
        hold.on = False

        async def recovered() -> bool:
            answers.append((await client.get("/ready")).json())
            return len(await applied_numbers(engine)) >= 25 and answers[-1]["status"] == "ready"

        await eventually(recovered, timeout=60, every=0.05)
        await asyncio.sleep(3)  # let any late duplicate arrive: it must change nothing
        # Every booking applied exactly once, whatever was redelivered.
        assert await applied_numbers(engine) == list(range(25))
        # What the broker lost goes out again once held back for the consumers' session (the
        # relay's settle): on a busy machine that may end after the consumers caught up.
        await eventually(lambda: _none_unpublished(engine), timeout=60)
    # The topics came back (made again by the service) and hold every row the outbox still has,
    # at least once: a row the relay sent again while it could not yet tell what the new log
    # kept may be there twice, which the consumers' inbox absorbs (applied exactly once, above).
    on_broker = await topic_records(broker.bootstrap, LessonBooked.topic)
    assert sorted({json.loads(r.value)["n"] for r in on_broker}) == list(range(10, 25))
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    try:
        assert set(TOPICS) <= set(await admin.list_topics())
    finally:
        await admin.close()


async def test_ready_says_not_ready_while_the_broker_lacks_the_topics(database, broker):
    url, engine = database
    app = service(url, broker.bootstrap, Hold())
    async with running(app) as client:
        assert (await client.get("/ready")).status_code == 200
        # Nothing may make the topics again while the broker is away: the relay does that.
        await app.state.relay.stop()
        kill(broker)
        broker.start()
        answer = await eventually(lambda: _ready_answer(client, lambda a: a["checks"]["broker"] == "ok"))
        assert answer.status_code == 503
        # The embedded broker makes a topic a consumer asks about on its own; nobody asks about
        # the dead-letter topic.
        assert answer.json()["checks"]["topics"].startswith("missing: ")
        assert dlq_topic(LessonBooked.topic) in answer.json()["checks"]["topics"]
        await app.state.relay.start()
        await eventually(lambda: _ready_answer(client, lambda a: a["status"] == "ready"))


@pytest.mark.parametrize("mode", ["per-topic", "batch"])
async def test_a_consumer_committed_past_the_end_starts_from_the_beginning(database, broker, mode):
    """Committed offsets that the partition no longer reaches: read it all again, apply each event once."""
    url, engine = database
    app = service(url, broker.bootstrap, Hold(), mode)
    group = app.state.settings.consumer_group
    if mode == "per-topic":
        group = topic_group(group, LessonBooked.topic)
    await create_topics(broker.bootstrap, TOPICS)
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
    await producer.start()
    try:
        for n in range(6):
            await producer.send_and_wait(LessonBooked.topic, booking(n).model_dump_json().encode(), key=f"k{n}".encode())
    finally:
        await producer.stop()
    stale = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=group, enable_auto_commit=False)
    await stale.start()
    try:
        partitions = [TopicPartition(LessonBooked.topic, p) for p in range(3)]
        stale.assign(partitions)
        await stale.commit({tp: 50 for tp in partitions})  # from a log the broker no longer has
    finally:
        await stale.stop()
    async with running(app):
        await eventually(lambda: _have(engine, 6))
        await asyncio.sleep(2)
        assert await applied_numbers(engine) == list(range(6))


async def test_a_poll_applied_across_a_broker_restart_commits_nothing_into_the_new_group(database, broker):
    """A poll read from the old log and applied while the broker restarted empty and the consumer
    joined its group again: its offsets are positions in the lost log. Committed into the new group,
    the next process would start there and skip what the new log holds before them."""
    url, engine = database
    group = f"recovery-{uuid.uuid4().hex[:8]}"
    await create_topics(broker.bootstrap, TOPICS)
    await _produce(broker.bootstrap, range(6))  # one key: one partition, one poll
    hold = Hold()
    hold.gate = asyncio.Event()
    app = service(url, broker.bootstrap, hold, "batch", group)
    async with running(app):
        await app.state.relay.stop()  # what the new log gets is the test's to say
        # Nor may the rewind check move the consumer (or commit its start) while the position it
        # holds from the old log is past the new one's end: the commit is what is tried here.
        await app.state.rewinder.stop()
        await eventually(lambda: _seen_any(hold, range(6)))  # the poll is being applied, held
        kill(broker)
        broker.start()
        await create_topics(broker.bootstrap, TOPICS)
        await eventually(lambda: _rejoined(broker.bootstrap, group), timeout=30)
        hold.gate.set()
        await eventually(lambda: _have(engine, 6))
        await asyncio.sleep(1)  # the poll's commit, had it been made, is made by now
        assert await _committed(broker.bootstrap, group) == {}
    # The new log gets events the service has not seen (in the stack: what the relays refill),
    # and the service starts again: it reads them all from the beginning.
    await _produce(broker.bootstrap, range(100, 106))
    async with running(service(url, broker.bootstrap, Hold(), "batch", group)):
        await eventually(lambda: _have(engine, 12))
        await asyncio.sleep(1)
        assert await applied_numbers(engine) == [*range(6), *range(100, 106)]


async def _produce(bootstrap: str, numbers: range) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for n in numbers:
            await producer.send_and_wait(LessonBooked.topic, booking(n, key="one").model_dump_json().encode(),
                                         key=b"one")
    finally:
        await producer.stop()


async def _rejoined(bootstrap: str, group: str) -> bool:
    """Whether the group has a member on this broker again."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [answer] = await admin.describe_consumer_groups([group])
        return any(g[2] == "Stable" and g[5] for g in answer.groups)
    finally:
        await admin.close()


async def _committed(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    """The group's committed offsets on the topic's partitions (every one the broker has), those it has."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(LessonBooked.topic, p)
                      for p in sorted(consumer.partitions_for_topic(LessonBooked.topic) or ())]
        assert partitions, "the topic is on the broker"
        found = {tp: await consumer.committed(tp) for tp in partitions}
        return {tp: offset for tp, offset in found.items() if offset is not None}
    finally:
        await consumer.stop()


async def _ready_answer(client: httpx.AsyncClient, wanted) -> httpx.Response | None:
    answer = await client.get("/ready")
    return answer if wanted(answer.json()) else None


async def _have(engine, n: int) -> bool:
    return len(await applied_numbers(engine)) >= n


async def _none_unpublished(engine) -> bool:
    return await unpublished(engine) == 0


async def _seen_any(hold: Hold, numbers: range) -> bool:
    return bool(set(numbers) & set(hold.seen))


LEADER = """
import asyncio, sys
from servicekit.messaging import make_broker
from servicekit.relay import OutboxRelay
from servicekit.topics import ServiceTopics, TopicLayout
from sqlalchemy.ext.asyncio import create_async_engine

async def main(url, bootstrap):
    broker = make_broker(bootstrap, client_id="leader")
    await broker.start()
    relay = OutboxRelay(create_async_engine(url), broker, service="leader", topics=ServiceTopics(bootstrap, []))
    await relay.start()
    while not relay.is_leader:
        await asyncio.sleep(0.05)
    print("leader", flush=True)
    await asyncio.Event().wait()

asyncio.run(main(*sys.argv[1:]))
"""


async def test_a_standby_relay_takes_over_when_the_leader_process_is_killed(database, broker):
    url, engine = database
    leader = await asyncio.create_subprocess_exec(sys.executable, "-c", LEADER, url, broker.bootstrap,
                                                  stdout=asyncio.subprocess.PIPE)
    producer = make_broker(broker.bootstrap, client_id="standby")
    await producer.start()
    standby = OutboxRelay(engine, producer, service="standby", topics=ServiceTopics(broker.bootstrap, TOPICS))
    try:
        async with asyncio.timeout(30):
            assert (await leader.stdout.readline()).strip() == b"leader"
        await standby.start()
        await book(engine, range(3))
        await eventually(lambda: _none_unpublished(engine))  # published by the leader
        assert not standby.is_leader
        leader.kill()  # SIGKILL: its session, and with it the lock, ends with the process
        await leader.wait()
        await book(engine, range(3, 6))
        await eventually(lambda: _none_unpublished(engine), timeout=20)
        assert standby.is_leader
    finally:
        if leader.returncode is None:
            leader.kill()
            await leader.wait()
        await standby.stop()
        await producer.stop()
    records = await topic_records(broker.bootstrap, LessonBooked.topic)
    assert sorted(json.loads(r.value)["n"] for r in records) == list(range(6))  # each once


async def test_a_row_published_onto_a_log_that_restarted_goes_out_again_after_the_lost_ones(database, broker):
    """The first row the relay publishes after the broker came back empty, before it checked."""
    url, engine = database
    producer = make_broker(broker.bootstrap, client_id="relay")
    await producer.start()
    # As many partitions as the embedded broker gives a topic it makes on its own when a client
    # asks about it: whoever makes it again, the key lands on the same partition.
    four = ServiceTopics(broker.bootstrap, TOPICS, TopicLayout(partitions=4))
    await four.ensure()
    # It checks the broker only once here, at start: the restart must be met while publishing.
    relay = OutboxRelay(engine, producer, service="relay", topics=four, verify_interval=3600, settle=0.5)
    await relay.start()
    try:
        # One key: one partition.
        await book(engine, range(3), key="one")
        await eventually(lambda: _none_unpublished(engine))
        kill(broker)
        broker.start()
        await four.ensure()  # the launcher made the topics again; the relay did not look
        # The producer has met the new broker (as one whose send was in flight across the restart).
        await eventually(lambda: _sent(producer, dlq_topic(LessonBooked.topic)))
        await book(engine, range(3, 4), key="one")
        await eventually(lambda: _none_unpublished(engine))
        await eventually(lambda: _topic_has(broker.bootstrap, 5))
    finally:
        await relay.stop()
        await producer.stop()
    records = sorted(await topic_records(broker.bootstrap, LessonBooked.topic), key=lambda r: (r.partition, r.offset))
    numbers = [json.loads(r.value)["n"] for r in records]
    # Row 3 landed first on the new log, where a consumer still at its old position 1 skips it,
    # so it follows the lost ones again.
    assert numbers == [3, 0, 1, 2, 3]


async def _sent(producer, topic: str) -> bool:
    try:
        await asyncio.wait_for(producer.publish(b"{}", topic), 1)
        return True
    except Exception:
        return False


async def _topic_has(bootstrap: str, n: int) -> bool:
    return len(await topic_records(bootstrap, LessonBooked.topic)) >= n


async def test_pruning_keeps_the_newest_row_of_each_partition(database, broker):
    """What is left after pruning still tells how far the broker had got on every partition."""
    url, engine = database
    producer = make_broker(broker.bootstrap, client_id="relay")
    await producer.start()
    await create_topics(broker.bootstrap, TOPICS)
    await book(engine, range(12))
    relay = OutboxRelay(engine, producer, service="relay", topics=ServiceTopics(broker.bootstrap, TOPICS),
                        retention_hours=0)  # everything published is old enough to go
    await relay.start()
    try:
        async def pruned():
            async with engine.connect() as conn:
                rows = (await conn.execute(text(
                    "SELECT id, kafka_partition, kafka_offset FROM outbox WHERE published_at IS NOT NULL"))).all()
            return rows if len(rows) < 12 and not await unpublished(engine) else None

        left = await eventually(pruned)
    finally:
        await relay.stop()
        await producer.stop()
    topics = ServiceTopics(broker.bootstrap, TOPICS)
    try:
        ends = await topics.reach({(LessonBooked.topic, p) for p in range(3)})
    finally:
        await topics.close()
    assert sorted((r.kafka_partition, r.kafka_offset + 1) for r in left) == sorted(
        (p, end) for (_, p), end in ends.items() if end)
