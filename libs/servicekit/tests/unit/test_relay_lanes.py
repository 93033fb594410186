"""The relay's lanes follow the producer's partitions: a key's rows share one lane, on the
partition aiokafka's default partitioner gives it, so one lane's rows are one partition's."""

import uuid

from aiokafka.partitioner import DefaultPartitioner
from servicekit.relay import _lane


def test_a_key_takes_the_lane_of_the_partition_the_producer_gives_it() -> None:
    partitioner = DefaultPartitioner()
    for partitions in (1, 3, 4, 12):
        every = list(range(partitions))
        for key in [str(uuid.uuid4()) for _ in range(200)] + ["k1", "Олена"]:
            assert _lane(key, partitions) == partitioner(key.encode(), every, every)


def test_rows_without_a_key_or_of_a_topic_not_known_yet_share_one_lane() -> None:
    assert _lane(None, 3) == -1
    assert _lane("", 3) == -1  # sent without a key
    assert _lane("k1", None) == -1
    assert _lane("k1", 0) == -1
