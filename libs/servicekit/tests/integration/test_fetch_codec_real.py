"""A consumer with the fetch codec installed reads from the real broker exactly what was produced."""

import asyncio
import random
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from localstack.broker import EMBEDDED_BROKER_FETCH_MAX_WAIT_MS, TansuBroker, create_topics
from localstack.ports import free_port
from servicekit import fetchcodec

PARTITIONS = 3  # create_topics makes topics of 3 partitions by default


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory: pytest.TempPathFactory):
    tansu = TansuBroker(free_port(), Path(tmp_path_factory.mktemp("broker")) / "broker.log")
    tansu.start()
    yield tansu.bootstrap
    tansu.stop()


@pytest.fixture
def codec():
    assert fetchcodec.install()
    yield
    fetchcodec.uninstall()


Read = tuple[str, int, int, bytes | None, bytes | None, tuple[tuple[str, bytes], ...]]


async def produce(bootstrap: str, topics: list[str]) -> set[Read]:
    rng = random.Random(11)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()
    sent: set[Read] = set()
    try:
        for n in range(120):
            topic, partition = rng.choice(topics), rng.randrange(PARTITIONS)
            key = rng.choice([None, f"order-{n}".encode(), "замовлення".encode()])
            value = rng.choice([None, b"", f'{{"n": {n}}}'.encode(), rng.randbytes(rng.choice([1, 300, 70_000]))])
            if key is None and value is None:
                key = b"k"  # a record has at least one of the two
            headers = [("event_type", b"KitProbed"), ("n", str(n).encode())][: rng.randrange(3)]
            placed = await producer.send_and_wait(topic, value, key=key, partition=partition, headers=headers)
            sent.add((topic, placed.partition, placed.offset, key, value, tuple(headers)))
    finally:
        await producer.stop()
    return sent


async def read_all(bootstrap: str, topics: list[str], expected: int) -> tuple[set[Read], dict[TopicPartition, int]]:
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=f"codec-{uuid.uuid4().hex[:8]}",
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                fetch_max_wait_ms=EMBEDDED_BROKER_FETCH_MAX_WAIT_MS, max_partition_fetch_bytes=100_000,
                                session_timeout_ms=2000, heartbeat_interval_ms=600)
    await consumer.start()
    got: set[Read] = set()
    try:
        async with asyncio.timeout(60):
            while len(got) < expected:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    got |= {(r.topic, r.partition, r.offset, r.key, r.value, tuple(r.headers)) for r in records}
            # A few more held fetches with nothing to read: their answers' high-water marks.
            await asyncio.sleep(0.5)
            await consumer.getmany(timeout_ms=300)
        marks = {tp: consumer.highwater(tp) for tp in consumer.assignment()}
    finally:
        await consumer.stop()
    return got, marks


async def end_offsets(bootstrap: str, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        return await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()


async def test_a_consumer_with_the_codec_reads_exactly_what_was_produced(bootstrap, codec, monkeypatch):
    read_quickly = fetchcodec._decode_quickly
    answers = 0

    def counted(raw: bytes, at: int):  # type: ignore[no-untyped-def]
        nonlocal answers
        answers += 1
        return read_quickly(raw, at)

    monkeypatch.setattr(fetchcodec, "_decode_quickly", counted)
    topics = [f"codec-real-{uuid.uuid4().hex[:8]}-{t}" for t in range(3)]
    await create_topics(bootstrap, topics)
    sent = await produce(bootstrap, topics)

    got, marks = await read_all(bootstrap, topics, len(sent))

    assert got == sent
    assert answers > 0, "the fetch answers were not read by the codec"
    # The marks the fetch answers carried are the broker's end offsets (what the rewind check relies on).
    assert marks == await end_offsets(bootstrap, list(marks))
    assert len(marks) == len(topics) * PARTITIONS


async def test_the_same_records_as_aiokafka_reads_itself(bootstrap):
    topics = [f"codec-both-{uuid.uuid4().hex[:8]}-{t}" for t in range(2)]
    await create_topics(bootstrap, topics)
    sent = await produce(bootstrap, topics)
    fetchcodec.uninstall()
    generic, generic_marks = await read_all(bootstrap, topics, len(sent))
    assert fetchcodec.install()
    try:
        quick, quick_marks = await read_all(bootstrap, topics, len(sent))
    finally:
        fetchcodec.uninstall()
    assert quick == generic == sent
    assert quick_marks == generic_marks
