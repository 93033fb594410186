"""Consumers start a partition again from its beginning when their position lies past its end.

A broker that lost its log (the embedded one restarted empty; on a cluster, a topic deleted and
made again) can still be handed positions from the old log: consumers keep theirs in memory, and
a message in flight when it came back commits its old offset there. Kafka answers a fetch beyond
the end with OFFSET_OUT_OF_RANGE and the client starts over (auto_offset_reset="earliest"); the
embedded broker just waits until the partition grows past that position, silently skipping
everything before it. So every second each consumer's positions are compared with the ends of
its partitions, and a position past the end is moved to the beginning; the inbox absorbs what
is read twice. The relay holds back a partition it has to refill for a consumer session
(relay.py, settle), so this check finds it still empty.
"""

import asyncio
import contextlib
import logging
from typing import Any

from aiokafka import TopicPartition
from faststream.kafka import KafkaBroker

from .batches import batch_consumer_of
from .tasks import cancel_and_wait
from .topics import ServiceTopics

log = logging.getLogger("servicekit.rewind")


class Rewinder:
    def __init__(self, broker: KafkaBroker, topics: ServiceTopics, *, interval: float = 1.0) -> None:
        self._broker = broker
        self._topics = topics
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="consumer-rewind")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker is away or busy: the next round tries again
                log.debug("consumer positions not checked: %r", exc)

    def _consumers(self) -> list[Any]:
        """The per-topic subscribers' consumers, and the batch consumer's (batches.py) if it runs."""
        consumers = [getattr(subscriber, "consumer", None) for subscriber in self._broker.subscribers]
        batch = batch_consumer_of(self._broker)
        consumers.append(batch.consumer if batch is not None else None)
        return [consumer for consumer in consumers if consumer is not None]

    async def check(self) -> int:
        """Move every position that lies past its partition's end to the beginning; returns how many moved."""
        positions: list[tuple[object, TopicPartition, int]] = []
        for consumer in self._consumers():
            for tp in consumer.assignment():
                with contextlib.suppress(Exception):  # not known yet (being reset): nothing to compare
                    positions.append((consumer, tp, await asyncio.wait_for(consumer.position(tp), 0.2)))
        if not positions:
            return 0
        # Positions first, ends after: an end only grows, so a healthy position can never look past it.
        ends = await self._topics.reach({(tp.topic, tp.partition) for _, tp, _ in positions})
        moved = 0
        for consumer, tp, position in positions:
            end = ends.get((tp.topic, tp.partition), 0)
            if position > end:
                log.warning("%s[%d]: position %d is past the end %d (the broker lost its log); reading it again "
                            "from the beginning", tp.topic, tp.partition, position, end)
                await consumer.seek_to_beginning(tp)  # type: ignore[attr-defined]
                moved += 1
                # The old offset may also be committed there: replace it, or the next rebalance
                # brings it back. Best effort: during a rebalance the commit is refused, and the
                # next round looks again.
                with contextlib.suppress(Exception):
                    start = await asyncio.wait_for(consumer.position(tp), 2)
                    await consumer.commit({tp: start})
        return moved
