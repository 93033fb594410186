"""The rewind check takes a partition's end from fresh fetch answers, and asks the broker only for the rest."""

import time
from types import SimpleNamespace

from aiokafka import TopicPartition
from servicekit.rewind import Rewinder

A0, A1, B0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)


class Consumer:
    """What the check uses of aiokafka's consumer: positions, the last fetch answers' marks, seeking, committing."""

    def __init__(self, positions: dict[TopicPartition, int],
                 marks: dict[TopicPartition, tuple[int | None, float | None]]) -> None:
        self.positions = dict(positions)
        self.marks = marks  # partition: (highwater, seconds ago the answer came)
        self.committed: dict[TopicPartition, int] = {}

    def assignment(self) -> set[TopicPartition]:
        return set(self.positions)

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]

    def highwater(self, tp: TopicPartition) -> int | None:
        assert tp in self.positions, "Partition is not assigned"
        return self.marks.get(tp, (None, None))[0]

    def last_poll_timestamp(self, tp: TopicPartition) -> int | None:
        assert tp in self.positions, "Partition is not assigned"
        ago = self.marks.get(tp, (None, None))[1]
        return None if ago is None else int((time.time() - ago) * 1000)

    async def seek_to_beginning(self, tp: TopicPartition) -> None:
        self.positions[tp] = 0

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.committed.update(offsets)


class Topics:
    """The broker's end offsets (ServiceTopics.reach), with what was asked of it."""

    def __init__(self, ends: dict[tuple[str, int], int]) -> None:
        self.ends = ends
        self.asked: list[set[tuple[str, int]]] = []

    async def reach(self, partitions):  # type: ignore[no-untyped-def]
        wanted = set(partitions)
        self.asked.append(wanted)
        return {tp: self.ends.get(tp, 0) for tp in wanted}


class Broker:
    """A broker with one per-topic subscriber (and no batch consumer)."""

    def __init__(self, consumer: Consumer) -> None:
        self.subscribers = [SimpleNamespace(consumer=consumer)]


def rewinder(consumer: Consumer, topics: Topics, **kwargs) -> Rewinder:  # type: ignore[no-untyped-def]
    return Rewinder(Broker(consumer), topics, **kwargs)  # type: ignore[arg-type]


async def test_fresh_fetch_marks_stand_for_the_ends_and_nothing_is_asked():
    consumer = Consumer({A0: 5, A1: 0, B0: 12}, {A0: (5, 0.1), A1: (3, 0.5), B0: (20, 0.0)})
    topics = Topics({})  # would read as a lost log everywhere, were it asked
    check = rewinder(consumer, topics)
    assert await check.check() == 0
    assert topics.asked == [] and check.asked == 0
    assert consumer.positions == {A0: 5, A1: 0, B0: 12}


async def test_a_fresh_fetch_mark_below_the_position_is_a_lost_log():
    # The broker came back empty: its fetch answers already carry the new log's end.
    consumer = Consumer({A0: 40, A1: 7}, {A0: (2, 0.2), A1: (7, 0.2)})
    topics = Topics({("a", 0): 2, ("a", 1): 7})
    assert await rewinder(consumer, topics).check() == 1
    assert consumer.positions == {A0: 0, A1: 7}
    assert consumer.committed == {A0: 0}
    assert topics.asked == []


async def test_stale_or_missing_marks_are_asked_of_the_broker():
    # A1's last answer is old (its fetches failing, the partition paused), B0 never had one (just assigned).
    consumer = Consumer({A0: 5, A1: 9, B0: 3}, {A0: (5, 0.1), A1: (9, 1.5)})
    topics = Topics({("a", 1): 9, ("b", 0): 3})
    check = rewinder(consumer, topics)
    assert await check.check() == 0
    assert topics.asked == [{("a", 1), ("b", 0)}] and check.asked == 2


async def test_the_broker_asked_still_notices_a_lost_log():
    # No fetch answer since the broker came back (a topic gone answers errors, which leave no mark).
    consumer = Consumer({A0: 30, B0: 4}, {A0: (30, 5.0)})
    topics = Topics({("b", 0): 4})  # "a" is gone: it reaches nowhere
    assert await rewinder(consumer, topics).check() == 1
    assert consumer.positions == {A0: 0, B0: 4}
    assert consumer.committed == {A0: 0}


async def test_a_mark_older_than_fresh_for_is_not_trusted():
    consumer = Consumer({A0: 30}, {A0: (30, 0.4)})
    topics = Topics({("a", 0): 0})
    assert await rewinder(consumer, topics, fresh_for=0.3).check() == 1
    assert topics.asked == [{("a", 0)}]


async def test_fresh_for_zero_always_asks_the_broker():
    consumer = Consumer({A0: 5, A1: 2}, {A0: (5, 0.0), A1: (2, 0.0)})
    topics = Topics({("a", 0): 5, ("a", 1): 2})
    assert await rewinder(consumer, topics, fresh_for=0).check() == 0
    assert topics.asked == [{("a", 0), ("a", 1)}]


async def test_a_partition_taken_away_meanwhile_is_asked_of_the_broker():
    consumer = Consumer({A0: 5}, {A0: (5, 0.0)})

    def gone(tp: TopicPartition) -> int:
        raise AssertionError("Partition is not assigned")

    consumer.highwater = gone  # type: ignore[method-assign]
    topics = Topics({("a", 0): 5})
    assert await rewinder(consumer, topics).check() == 0
    assert topics.asked == [{("a", 0)}]
