"""The relay's check of the broker in one description: the service's missing topics (and those it
placed rows on) made again, and how far the broker holds each placed partition."""

import uuid

from aiokafka import AIOKafkaProducer
from servicekit.topics import ServiceTopics, TopicLayout, create_topics


def names(count: int) -> list[str]:
    return [f"kit-check-{uuid.uuid4().hex[:8]}" for _ in range(count)]


async def test_missing_topics_are_made_and_each_placed_partition_says_how_far_the_broker_holds_it(own_broker):
    there, own_missing, placed_missing = names(3)
    await create_topics(own_broker.bootstrap, [there], partitions=2)
    producer = AIOKafkaProducer(bootstrap_servers=own_broker.bootstrap)
    await producer.start()
    try:
        for _ in range(3):
            await producer.send_and_wait(there, b"x", partition=1)
    finally:
        await producer.stop()
    topics = ServiceTopics(own_broker.bootstrap, [there, own_missing], TopicLayout(partitions=2))
    try:
        created, reach = await topics.check({(there, 0), (there, 1), (placed_missing, 1)})
        assert sorted(created) == sorted([own_missing, placed_missing])
        # Made now, so it holds nothing yet: a row placed there is one the broker lost.
        assert reach == {(there, 0): 0, (there, 1): 3, (placed_missing, 1): 0}
        assert await topics.partitions([own_missing, placed_missing]) == {own_missing: 2, placed_missing: 2}
        # Asked again, nothing is missing, and the same partitions reach as far.
        assert await topics.check({(there, 1)}) == ([], {(there, 1): 3})
    finally:
        await topics.close()
