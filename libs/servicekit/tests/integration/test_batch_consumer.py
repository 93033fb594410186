"""What only the batch consumer has to show, on real PostgreSQL and the real broker: a poll applied
in few transactions, one bad event failing alone, a waiting topic not holding up another, and a
crash between the transaction and the offset commit absorbed by the inbox."""

import asyncio
import contextlib
import uuid
from typing import Literal

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from contracts import Event, dlq_topic
from localstack.broker import create_topics
from servicekit.batches import BatchConsumer, batch_consumer_of
from servicekit.errors import NotYet, Rejected
from servicekit.inbox import inbox_table
from servicekit.messaging import ConsumerGroup, RetryPolicy, consume, make_broker
from servicekit.db import create_engine
from servicekit.metrics import MESSAGES, REGISTRY
from servicekit.outbox import add_to_outbox, outbox_table
from servicekit.testing import count_inserting_statements
from sqlalchemy import BigInteger, Column, MetaData, Table, Text, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

metadata = MetaData()
inbox_table(metadata)
effects = Table("batch_effects", metadata, Column("key", Text), Column("note", Text), Column("tx", BigInteger))
outbox = outbox_table(metadata)


class _Probe(Event):
    key: str
    n: int
    behaviour: str = "ok"

    def partition_key(self) -> str:
        return self.key


class BatchProbedA(_Probe):
    event_type: Literal["BatchProbedA"] = "BatchProbedA"


class BatchProbedB(_Probe):
    event_type: Literal["BatchProbedB"] = "BatchProbedB"


class BatchProbedC(_Probe):
    event_type: Literal["BatchProbedC"] = "BatchProbedC"


KINDS: list[type[_Probe]] = [BatchProbedA, BatchProbedB, BatchProbedC]


class BatchAnnouncingA(_Probe):
    event_type: Literal["BatchAnnouncingA"] = "BatchAnnouncingA"


class BatchAnnouncingB(_Probe):
    event_type: Literal["BatchAnnouncingB"] = "BatchAnnouncingB"


# Topics of their own, where no test publishes an event that fails (every consumer reads each topic
# from its start): each of their polls is applied whole.
WELL_BEHAVED: list[type[_Probe]] = [BatchAnnouncingA, BatchAnnouncingB]


class BatchCausalA(_Probe):
    event_type: Literal["BatchCausalA"] = "BatchCausalA"


class BatchCausalB(_Probe):
    event_type: Literal["BatchCausalB"] = "BatchCausalB"


# Topics where an event ("effect") needs another's ("cause") effect, published before it on the
# other topic, as an order's payment link needs the order.
CAUSAL: list[type[_Probe]] = [BatchCausalA, BatchCausalB]


class BatchAnnounced(Event):
    """What a handler announces through the outbox: the note of the event it applied."""

    event_type: Literal["BatchAnnounced"] = "BatchAnnounced"
    key: str
    note: str

    def partition_key(self) -> str:
        return self.key


@pytest.fixture(scope="module")
async def engine(infra):
    url = await asyncio.to_thread(infra.new_database, "batches")
    eng = create_async_engine(url)
    async with eng.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await count_inserting_statements(conn, "outbox")
    await create_topics(infra.kafka_bootstrap,
                        [t for k in KINDS + WELL_BEHAVED + CAUSAL for t in (k.topic, dlq_topic(k.topic))])
    yield eng
    await eng.dispose()


def probe(kind: type[_Probe], key: str, n: int, behaviour: str = "ok") -> _Probe:
    return kind(account_id=uuid.uuid4(), correlation_id=uuid.uuid4(), key=key, n=n, behaviour=behaviour)


async def record(conn: AsyncConnection, event: _Probe) -> None:
    """The effect, with the transaction it was applied in (a savepoint shares its top transaction's id)."""
    await conn.execute(insert(effects).values(key=event.key, note=f"{event.topic}:{event.n}",
                                              tx=select(func.txid_current()).scalar_subquery()))


async def publish(bootstrap: str, events: list[Event | tuple[str, bytes, str]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        sent = []
        for event in events:
            topic, body, key = (event.topic, event.model_dump_json().encode(), event.partition_key()) \
                if isinstance(event, Event) else event
            sent.append(await producer.send(topic, body, key=key.encode()))
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def batch(bootstrap: str, engine, group: str, handler, *, service: str, retry: RetryPolicy | None = None,
          kinds: list[type[_Probe]] = KINDS) -> tuple:
    broker = make_broker(bootstrap, client_id="t")
    consume(broker, dict.fromkeys(kinds, handler), engine=engine, group=ConsumerGroup(group, 2000, "batch"),
            service=service, retry=retry)
    return broker, batch_consumer_of(broker)


@contextlib.asynccontextmanager
async def running(broker, batches: BatchConsumer):
    await broker.start()
    await batches.start()
    try:
        yield
    finally:
        await batches.stop()
        await broker.stop()


async def notes(engine, key: str) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.scalars(select(effects.c.note).where(effects.c.key == key))).all())


async def until(check, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def applied_with_transactions(infra, engine, key: str, events: list[_Probe]) -> list:
    """Publish the events, let a batch consumer apply them all; each effect's note and transaction."""
    await publish(infra.kafka_bootstrap, events)
    broker, batches = batch(infra.kafka_bootstrap, engine, f"g-{key}", record, service="kit-batch")

    async def all_there() -> bool:
        return len(await notes(engine, key)) >= len(events)

    async with running(broker, batches):
        await until(all_there)
    async with engine.connect() as conn:
        return list((await conn.execute(select(effects.c.note, effects.c.tx).where(effects.c.key == key))).all())


async def test_two_hundred_events_on_three_topics_are_applied_in_few_transactions(engine, infra):
    key = str(uuid.uuid4())
    events = [probe(KINDS[n % 3], f"{key}", n) for n in range(200)]
    rows = await applied_with_transactions(infra, engine, key, events)
    assert sorted(note for note, _ in rows) == sorted(f"{e.topic}:{e.n}" for e in events)
    # One key: one partition per topic. Per-message consumers would have run 200 transactions.
    assert len({tx for _, tx in rows}) <= 20


async def test_a_batch_that_applies_whole_sends_no_savepoint(engine, infra):
    """Each event's statements are its handler's own (one insert here): no SAVEPOINT and RELEASE
    around each, which a batch needs only once one of its events fails."""
    counted = create_engine(engine.url.render_as_string(hide_password=False), pool_size=2)
    key = str(uuid.uuid4())
    events = [probe(BatchProbedC, key, n) for n in range(40)]
    before = REGISTRY.get_sample_value("db_statements_total", {"work": f"event {BatchProbedC.topic}"}) or 0.0
    await publish(infra.kafka_bootstrap, events)
    broker, batches = batch(infra.kafka_bootstrap, counted, f"g-{key}", record, service="kit-batch",
                            kinds=[BatchProbedC])

    async def all_there() -> bool:
        return len(await notes(engine, key)) >= 40

    try:
        async with running(broker, batches):
            await until(all_there)
    finally:
        await counted.dispose()
    after = REGISTRY.get_sample_value("db_statements_total", {"work": f"event {BatchProbedC.topic}"})
    assert after - before == 40
    assert sorted(await notes(engine, key)) == sorted(f"{BatchProbedC.topic}:{n}" for n in range(40))


async def test_one_rejected_event_among_fifty_is_dead_lettered_alone(engine, infra):
    key = str(uuid.uuid4())
    events = [probe(BatchProbedA, key, n, "reject" if n == 25 else "ok") for n in range(50)]
    await publish(infra.kafka_bootstrap, events)

    async def handler(conn: AsyncConnection, event: _Probe) -> None:
        await record(conn, event)  # written, then rolled back with its savepoint
        if event.behaviour == "reject":
            raise Rejected("no such thing")

    broker, batches = batch(infra.kafka_bootstrap, engine, f"g-{key}", handler, service="kit-batch",
                            kinds=[BatchProbedA])

    async def forty_nine() -> bool:
        return len(await notes(engine, key)) >= 49

    async with running(broker, batches):
        await until(forty_nine)
        dead = await dead_letters(infra.kafka_bootstrap, BatchProbedA.topic, key, 1)
    assert sorted(await notes(engine, key)) == sorted(f"{BatchProbedA.topic}:{n}" for n in range(50) if n != 25)
    assert [dict(r.headers)["x-reason"] for r in dead] == [b"rejected"]
    assert dict(dead[0].headers)["x-consumer-group"] == f"g-{key}".encode()
    # As on the per-message path, where the inbox record rolls back with the transaction: not marked applied.
    async with engine.connect() as conn:
        recorded = await conn.scalar(text("SELECT count(*) FROM inbox WHERE consumer = :c AND event_id = :e"),
                                    {"c": f"kit-batch:{BatchProbedA.topic}", "e": events[25].event_id})
    assert recorded == 0


async def test_a_poll_of_several_topics_is_applied_in_one_transaction(engine, infra):
    """Events of three topics waiting when the consumer starts: its polls bring several topics'
    partitions at once, and each such poll is one transaction (one BEGIN, one inbox record and one
    COMMIT), not one per partition."""
    key = str(uuid.uuid4())
    events = [probe(kind, key, n) for n in range(30) for kind in KINDS]
    rows = await applied_with_transactions(infra, engine, key, events)
    assert sorted(note for note, _ in rows) == sorted(f"{e.topic}:{e.n}" for e in events)
    topics_by_tx: dict[int, set[str]] = {}
    for note, tx in rows:
        topics_by_tx.setdefault(tx, set()).add(note.split(":")[0])
    assert max(len(topics) for topics in topics_by_tx.values()) > 1, topics_by_tx


async def test_one_rejected_event_in_a_poll_of_several_topics_is_dead_lettered_alone(engine, infra):
    """The poll's one transaction rolls back; each partition is then applied on its own, the other
    topics' events and the rejected one's neighbours commit, and only it is dead-lettered."""
    key = str(uuid.uuid4())
    events = [probe(kind, key, n, "reject" if kind is BatchProbedB and n == 7 else "ok")
              for n in range(15) for kind in KINDS]
    await publish(infra.kafka_bootstrap, events)

    async def handler(conn: AsyncConnection, event: _Probe) -> None:
        await record(conn, event)
        if event.behaviour == "reject":
            raise Rejected("no such thing")

    broker, batches = batch(infra.kafka_bootstrap, engine, f"g-{key}", handler, service="kit-batch")

    async def the_rest() -> bool:
        return len(await notes(engine, key)) >= 44

    async with running(broker, batches):
        await until(the_rest)
        dead = await dead_letters(infra.kafka_bootstrap, BatchProbedB.topic, key, 1)
        await until(lambda: _caught_up(batches))
    assert sorted(await notes(engine, key)) == sorted(f"{e.topic}:{e.n}" for e in events if e.behaviour == "ok")
    assert [(dict(r.headers)["x-reason"], r.value) for r in dead] == [
        (b"rejected", next(e for e in events if e.behaviour == "reject").model_dump_json().encode())]


async def announcing(conn: AsyncConnection, event: _Probe) -> None:
    """Apply the event and announce it, as a use case does; a rejected one after announcing."""
    await record(conn, event)
    await add_to_outbox(conn, outbox, BatchAnnounced(account_id=event.account_id, correlation_id=event.correlation_id,
                                                     key=event.key, note=f"{event.topic}:{event.n}"))
    if event.behaviour == "reject":
        raise Rejected("no such thing")


async def announced(engine, key: str) -> list[str]:
    """The notes announced for `key`, in the outbox's order (the relay's)."""
    async with engine.connect() as conn:
        return list((await conn.scalars(select(outbox.c.payload["note"].astext)
                                        .where(outbox.c.payload["key"].astext == key).order_by(outbox.c.id))).all())


async def test_what_a_poll_announces_is_one_outbox_insert_in_the_order_it_was_applied(engine, infra):
    """Many handlers in one transaction that each announce an event write the outbox once, and
    each partition's announcements keep its events' order."""
    key = str(uuid.uuid4())
    events = [probe(kind, key, n) for n in range(30) for kind in WELL_BEHAVED]
    await publish(infra.kafka_bootstrap, events)
    broker, batches = batch(infra.kafka_bootstrap, engine, f"g-{key}", announcing, service="kit-batch",
                            kinds=WELL_BEHAVED)

    async def all_there() -> bool:
        return len(await notes(engine, key)) >= len(events)

    async with running(broker, batches):
        await until(all_there)
    notes_in_order = await announced(engine, key)
    assert sorted(notes_in_order) == sorted(f"{e.topic}:{e.n}" for e in events)
    for kind in WELL_BEHAVED:  # one key: one partition per topic, applied in its order
        numbers = [int(note.split(":")[1]) for note in notes_in_order if note.startswith(f"{kind.topic}:")]
        assert numbers == list(range(30))
    async with engine.connect() as conn:
        per_tx = dict((await conn.execute(text(
            "SELECT e.tx, count(*) FROM batch_effects e WHERE e.key = :k GROUP BY e.tx"), {"k": key})).all())
        inserts = dict((await conn.execute(text(
            "SELECT tx, count(*) FROM outbox_inserts WHERE tx = ANY(:txs) GROUP BY tx"), {"txs": list(per_tx)})).all())
    assert inserts == dict.fromkeys(per_tx, 1)
    assert max(per_tx.values()) > 1, per_tx


async def test_a_rejected_event_announces_nothing_and_the_others_announce_once(engine, infra):
    """The poll's transaction, with what it held for the outbox, rolls back; applied again one
    partition and one savepoint each, every other event announces once and the rejected one not at all."""
    key = str(uuid.uuid4())
    events = [probe(kind, key, n, "reject" if kind is BatchProbedC and n == 4 else "ok")
              for n in range(10) for kind in KINDS]
    await publish(infra.kafka_bootstrap, events)
    broker, batches = batch(infra.kafka_bootstrap, engine, f"g-{key}", announcing, service="kit-batch")

    async def the_rest() -> bool:
        return len(await notes(engine, key)) >= 29

    async with running(broker, batches):
        await until(the_rest)
        await dead_letters(infra.kafka_bootstrap, BatchProbedC.topic, key, 1)
        await until(lambda: _caught_up(batches))
    assert sorted(await announced(engine, key)) == sorted(f"{e.topic}:{e.n}" for e in events if e.behaviour == "ok")


async def test_the_connection_kept_between_polls_is_replaced_when_the_database_drops_it(engine, infra):
    """The consumer keeps one connection from poll to poll; when the server ends it (a restart, an
    administrator), the next transaction fails, is retried on a fresh connection, and nothing is lost."""
    key = str(uuid.uuid4())
    broker, batches = batch(infra.kafka_bootstrap, engine, f"g-{key}", record, service="kit-batch",
                            kinds=[BatchProbedA], retry=RetryPolicy(first=0.05, cap=0.2))
    async with running(broker, batches):
        await publish(infra.kafka_bootstrap, [probe(BatchProbedA, key, n) for n in range(5)])

        async def first_five() -> bool:
            return len(await notes(engine, key)) >= 5

        await until(first_five)
        held = next(iter(batches._held.values()))
        pid = (await held.get_raw_connection()).driver_connection.get_server_pid()
        async with engine.connect() as admin:
            ended = await admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert ended
        await publish(infra.kafka_bootstrap, [probe(BatchProbedA, key, n) for n in range(5, 10)])

        async def all_ten() -> bool:
            return len(await notes(engine, key)) >= 10

        await until(all_ten)
        now = next(iter(batches._held.values()))
        assert (await now.get_raw_connection()).driver_connection.get_server_pid() != pid
    assert sorted(await notes(engine, key)) == sorted(f"{BatchProbedA.topic}:{n}" for n in range(10))


async def test_an_event_waiting_on_one_topic_does_not_hold_up_another(engine, infra):
    key = str(uuid.uuid4())
    held = {"on": True}

    async def handler(conn: AsyncConnection, event: _Probe) -> None:
        if event.behaviour == "wait" and held["on"]:
            raise NotYet("its fact is not here yet")
        await record(conn, event)

    await publish(infra.kafka_bootstrap, [probe(BatchProbedA, key, 0, "wait"), probe(BatchProbedA, key, 1)]
                  + [probe(BatchProbedB, key, n) for n in range(20)])
    broker, batches = batch(infra.kafka_bootstrap, engine, f"g-{key}", handler, service="kit-batch",
                            retry=RetryPolicy(first=0.05, cap=0.2))

    async def others_applied() -> bool:
        return len(await notes(engine, key)) >= 20

    async with running(broker, batches):
        await until(others_applied)
        got = await notes(engine, key)
        # Every B applied while A's first event waits, and A's second waits behind it, in order.
        assert sorted(got) == sorted(f"{BatchProbedB.topic}:{n}" for n in range(20))
        await asyncio.sleep(0.5)
        assert len(await notes(engine, key)) == 20
        held["on"] = False

        async def all_applied() -> bool:
            return len(await notes(engine, key)) >= 22

        await until(all_applied)
    got = await notes(engine, key)
    a = BatchProbedA.topic
    assert [n for n in got if n.startswith(a)] == [f"{a}:0", f"{a}:1"]


async def test_a_crash_between_the_transaction_and_the_offset_commit_redelivers_and_changes_nothing(engine, infra):
    key = str(uuid.uuid4())
    service = f"kit-crash-{key[:8]}"
    calls: list[tuple[str, int]] = []

    async def handler(conn: AsyncConnection, event: _Probe) -> None:
        calls.append((event.key, event.n))
        await record(conn, event)

    await publish(infra.kafka_bootstrap, [probe(BatchProbedC, key, n) for n in range(10)])
    broker, batches = batch(infra.kafka_bootstrap, engine, f"g-{key}", handler, service=service,
                            kinds=[BatchProbedC])
    committed = asyncio.Event()

    commit = batches._commit

    async def crash_before_committing(offsets) -> None:
        if sorted(n for k, n in calls if k == key) != list(range(10)):
            return await commit(offsets)
        committed.set()
        await asyncio.Event().wait()  # the process dies here: the offsets never reach the broker

    batches._commit = crash_before_committing  # type: ignore[method-assign]
    await broker.start()
    await batches.start()
    await until(lambda: _is_set(committed))
    await asyncio.sleep(0.2)
    # Abruptly: the poll loop cancelled mid-commit, the client closed without committing.
    await batches.stop()
    await broker.stop()
    applied = len(calls)
    assert sorted(n for k, n in calls if k == key) == list(range(10))

    again, batches = batch(infra.kafka_bootstrap, engine, f"g-{key}", handler, service=service,
                           kinds=[BatchProbedC])
    async with running(again, batches):
        await until(lambda: _caught_up(batches))
    assert len(calls) == applied  # the inbox absorbed every redelivery
    assert MESSAGES.labels(service, BatchProbedC.topic, "duplicate")._value.get() >= 10
    assert len(await notes(engine, key)) == 10


async def _caught_up(batches: BatchConsumer) -> bool:
    """The group has committed the end of every partition of the topic."""
    consumer = batches.consumer
    assignment = consumer.assignment() if consumer is not None else set()
    if not assignment:
        return False
    ends = await consumer.end_offsets(list(assignment))
    return all([(await consumer.committed(tp) or 0) >= end for tp, end in ends.items()])


async def _is_set(event: asyncio.Event) -> bool:
    return event.is_set()


async def dead_letters(bootstrap: str, topic: str, key: str, want: int, timeout: float = 20) -> list:
    consumer = AIOKafkaConsumer(dlq_topic(topic), bootstrap_servers=bootstrap, group_id=f"t-{uuid.uuid4()}",
                                auto_offset_reset="earliest")
    await consumer.start()
    got: list = []
    try:
        async with asyncio.timeout(timeout):
            while len(got) < want:
                polled = await consumer.getmany(timeout_ms=200)
                got.extend(r for rs in polled.values() for r in rs if r.key == key.encode())
    finally:
        await consumer.stop()
    return got


def _partition_of(key: str) -> int:
    """Where the producer's default partitioner puts `key` on a topic of three partitions."""
    return DefaultPartitioner()(key.encode(), [0, 1, 2], [0, 1, 2])


def _needing_its_cause(seen: list[str]):
    async def handler(conn: AsyncConnection, event: _Probe) -> None:
        seen.append(f"{event.topic}:{event.n}:{event.behaviour}")
        if event.behaviour == "effect":
            causes = await conn.scalar(select(func.count()).select_from(effects).where(
                effects.c.key == event.key, effects.c.note.like("%:cause")))
            if not causes:
                raise NotYet("its cause is not applied yet")
        await conn.execute(insert(effects).values(key=event.key, note=f"{event.topic}:{event.n}:{event.behaviour}",
                                                  tx=select(func.txid_current()).scalar_subquery()))
    return handler


async def test_a_poll_is_applied_in_the_order_its_events_were_published(engine, infra):
    """Causes on both topics, then their effects on the other one: whichever topic the client hands
    over first, applying each partition whole in turn would meet an effect before its cause. In the
    order of publication every effect finds its cause, nothing waits and the poll commits whole."""
    run = str(uuid.uuid4())
    keys = {kind: f"{run}-{kind.topic}" for kind in CAUSAL}  # a key per direction, one partition each
    causes = [probe(kind, keys[kind], n, "cause") for n in range(5) for kind in CAUSAL]
    effects_ = [probe(other, keys[kind], n, "effect") for n in range(5)
                for kind, other in zip(CAUSAL, reversed(CAUSAL), strict=True)]
    await publish(infra.kafka_bootstrap, causes)
    await asyncio.sleep(0.05)  # a later publication time than every cause's
    await publish(infra.kafka_bootstrap, effects_)
    seen: list[str] = []
    service = f"kit-causal-{run[:8]}"
    broker, batches = batch(infra.kafka_bootstrap, engine, f"g-{run}", _needing_its_cause(seen), service=service,
                            kinds=CAUSAL, retry=RetryPolicy(first=0.05, cap=0.2))

    async def all_there() -> bool:
        return sum([len(await notes(engine, key)) for key in keys.values()]) >= 20

    async with running(broker, batches):
        await until(all_there)
    retried = sum(REGISTRY.get_sample_value("consumer_messages_total", {
        "service": service, "topic": kind.topic, "outcome": "retried"}) or 0.0 for kind in CAUSAL)
    assert retried == 0
    assert len(seen) == 20, seen  # each handler ran once: no poll was rolled back and done again
    for kind in CAUSAL:  # and each partition in its own order
        for behaviour in ("cause", "effect"):
            numbers = [int(note.split(":")[1]) for note in seen if note.startswith(f"{kind.topic}:")
                       and note.endswith(behaviour)]
            assert numbers == list(range(5))


async def test_a_waiting_event_sends_only_its_own_partition_to_savepoints(engine, infra):
    """One effect whose cause never comes, in a poll with other partitions' events: the poll is
    rolled back once, the others commit together in one transaction without savepoints, and only
    the waiting event's partition is applied one savepoint each."""
    run = str(uuid.uuid4())
    # The orphan on a partition of its own: the others' events on its topic are on another one.
    orphan_key = next(key for key in (f"{run}-orphan-{n}" for n in range(100))
                      if _partition_of(key) != _partition_of(f"{run}-{BatchCausalA.topic}"))
    orphan = probe(BatchCausalA, orphan_key, 0, "effect")
    others = [probe(kind, f"{run}-{kind.topic}", n, "cause") for n in range(10) for kind in CAUSAL]
    await publish(infra.kafka_bootstrap, [*others, orphan])
    seen: list[str] = []
    service = f"kit-split-{run[:8]}"
    broker, batches = batch(infra.kafka_bootstrap, engine, f"g-{run}", _needing_its_cause(seen), service=service,
                            kinds=CAUSAL, retry=RetryPolicy(first=5, cap=5))

    async def others_there() -> bool:
        return sum([len(await notes(engine, f"{run}-{kind.topic}")) for kind in CAUSAL]) >= 20

    async with running(broker, batches):
        await until(others_there)
    async with engine.connect() as conn:
        txs = set((await conn.scalars(select(effects.c.tx).where(effects.c.key.like(f"{run}-BatchCausal%")))).all())
    assert len(txs) == 1  # the other partitions, in one transaction
    assert await notes(engine, orphan.key) == []  # waiting for its cause, alone
