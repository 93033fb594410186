"""What the local stack relies on of its embedded broker (Tansu), checked against the real one."""

import asyncio

from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.metadata import MetadataRequest
from localstack.config import TOPIC_PARTITIONS
from servicekit.topics import create_topics


async def _partitions_when_asked(bootstrap: str, topic: str) -> int:
    client = AIOKafkaClient(bootstrap_servers=bootstrap)
    await client.bootstrap()
    try:
        answer = await client.send(client.get_random_node(), MetadataRequest([topic]))
        [(error, name, _internal, partitions)] = answer.topics
        assert (error, name) == (0, topic)
        return len(partitions)
    finally:
        await client.close()


def test_a_topic_made_by_a_client_s_question_has_the_stack_s_partitions(own_broker) -> None:
    # After a restart the broker is empty, and a consumer asking about its topics makes them
    # before the services do: they must come out as the services would have made them.
    assert asyncio.run(_partitions_when_asked(own_broker.bootstrap, "AskedAbout")) == TOPIC_PARTITIONS
    made = asyncio.run(create_topics(own_broker.bootstrap, ["MadeByTheStack"], TOPIC_PARTITIONS))
    assert made == ["MadeByTheStack"]
    assert asyncio.run(_partitions_when_asked(own_broker.bootstrap, "MadeByTheStack")) == TOPIC_PARTITIONS
