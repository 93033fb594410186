"""A service's topics on the broker: created when it starts, watched while it runs.

Each service creates the topics it publishes and consumes, and their dead-letter topics, itself
(an existing topic is left as it is), so no service depends on a one-shot job having run, and a
broker that came back without them gets them back from the first service that notices (the
relay checks every second, see relay.py). Readiness reports a broker without them as not ready.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, UnknownTopicOrPartitionError, for_code
from aiokafka.protocol.metadata import MetadataRequest
from contracts import dlq_topic
from faststream.kafka import KafkaBroker

from .channels import channels_of

log = logging.getLogger("servicekit.topics")

# Every question to the broker is bounded: readiness answers within its probe's timeout, and a
# relay facing a dead broker backs off instead of hanging.
BROKER_TIMEOUT_S = 2.0


def service_topics(broker: KafkaBroker) -> list[str]:
    """The topics a service's broker consumes and publishes (as declared on it), with their dead-letter topics."""
    names = {t.name for s in broker.subscribers for t in s.topics}
    names |= set(channels_of(broker).consumed)  # the batch consumer's, which FastStream does not know
    names |= {p.topic for p in broker.publishers}
    return sorted(names | {dlq_topic(n) for n in names})


async def create_topics(bootstrap: str, topics: Iterable[str], partitions: int = 3, replication: int = 1) -> list[str]:
    """Create the topics that are missing and return their names; existing ones are left as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(BROKER_TIMEOUT_S * 5000))
    await admin.start()
    try:
        return await _create_missing(admin, topics, partitions, replication)
    finally:
        await admin.close()


async def _create_missing(admin: AIOKafkaAdminClient, topics: Iterable[str], partitions: int,
                          replication: int) -> list[str]:
    existing = set(await admin.list_topics())
    missing = sorted(set(topics) - existing)
    if not missing:
        return []
    response = await admin.create_topics([NewTopic(t, partitions, replication) for t in missing])
    for topic, code, *_ in response.topic_errors:
        # Two services starting together may both create a topic they share: the loser is fine.
        if code and for_code(code) is not TopicAlreadyExistsError:
            raise for_code(code)(f"creating topic {topic}")
    return missing


async def _describe(admin: AIOKafkaAdminClient, names: list[str]) -> list[dict]:
    """These topics as the broker has them, without asking it to make the ones it lacks.

    The admin client's describe_topics sends its metadata request with auto-creation on (the
    request's default), so a broker that auto-creates would answer a missing topic by making it
    with its own partition count, and the check would never see it missing. aiokafka has no public
    call for the request with that flag off; a test (test_topics_check.py) holds this one to it."""
    response = await admin._send_request(MetadataRequest(names, allow_auto_topic_creation=False))
    return response.to_object()["topics"]


@dataclass(frozen=True)
class TopicLayout:
    """How a service creates a missing topic (a cluster's operator may have made them otherwise)."""

    partitions: int = 3
    replication: int = 1


class ServiceTopics:
    """One service's topics: which are missing, creating them, and how far their partitions reach.

    Keeps one admin client and one group-less consumer (for end offsets) open; after any failure
    both are dropped and made again on the next call, so a broker that restarted is met afresh.
    """

    def __init__(self, bootstrap: str, names: Iterable[str], layout: TopicLayout = TopicLayout()) -> None:
        self.bootstrap = bootstrap
        self.names = sorted(set(names))
        self.layout = layout
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()

    async def missing(self, extra: Iterable[str] = ()) -> list[str]:
        """Which of the service's topics (and of `extra`) the broker does not have."""
        wanted = set(self.names) | set(extra)
        existing = await self._call(lambda admin, _: admin.list_topics())
        return sorted(wanted - set(existing))

    async def ensure(self, extra: Iterable[str] = ()) -> list[str]:
        """Create the service's missing topics (and `extra`); returns the ones created."""
        return await self._make([*self.names, *extra])

    async def _make(self, names: list[str]) -> list[str]:
        created = await self._call(lambda admin, _: _create_missing(
            admin, names, self.layout.partitions, self.layout.replication))
        if created:
            log.warning("created missing topics on the broker: %s", ", ".join(created))
        return created

    async def reach(self, partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """The end offset of each (topic, partition): how far the broker holds it; 0 where it has no such partition."""
        wanted = set(partitions)
        if not wanted:
            return {}
        described = await self._call(lambda admin, _: admin.describe_topics(sorted({t for t, _ in wanted})))
        known = set()
        for topic in described:
            # A missing topic reaches nowhere; any other error is not an answer (it must not read as empty).
            if topic["error_code"] and for_code(topic["error_code"]) is not UnknownTopicOrPartitionError:
                raise for_code(topic["error_code"])(f"describing topic {topic['topic']}")
            known |= {(topic["topic"], p["partition"]) for p in topic["partitions"] if not topic["error_code"]}
        return await self._ends(wanted, known)

    async def _ends(self, wanted: set[tuple[str, int]], known: set[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """Each wanted partition's end offset; 0 for those the broker does not have (not `known`)."""
        present = [TopicPartition(t, p) for t, p in sorted(wanted & known)]
        ends = await self._call(lambda _, consumer: consumer.end_offsets(present)) if present else {}
        reach = {tp: 0 for tp in wanted}
        reach.update({(tp.topic, tp.partition): offset for tp, offset in ends.items()})
        return reach

    async def check(self, placed: Iterable[tuple[str, int]]) -> tuple[list[str], dict[tuple[str, int], int]]:
        """The relay's check in one description: create the service's missing topics (and those of
        `placed`), and say how far the broker holds each placed partition (0 where it has none)."""
        wanted = set(placed)
        names = sorted({*self.names, *(topic for topic, _ in wanted)})
        described = await self._call(lambda admin, _: _describe(admin, names))
        known: set[tuple[str, int]] = set()
        missing: list[str] = []
        for topic in described:
            error = for_code(topic["error_code"]) if topic["error_code"] else None
            if error is UnknownTopicOrPartitionError:
                missing.append(topic["topic"])
            elif error is not None:  # not an answer: it must not read as missing or empty
                raise error(f"describing topic {topic['topic']}")
            else:
                known |= {(topic["topic"], p["partition"]) for p in topic["partitions"]}
        created = await self._make(missing) if missing else []
        return created, await self._ends(wanted, known)

    async def partitions(self, names: Iterable[str]) -> dict[str, int]:
        """How many partitions each topic has; a topic the broker lacks is left out."""
        wanted = sorted(set(names))
        if not wanted:
            return {}
        described = await self._call(lambda admin, _: admin.describe_topics(wanted))
        return {topic["topic"]: len(topic["partitions"]) for topic in described
                if not topic["error_code"] and topic["partitions"]}

    async def close(self) -> None:
        async with self._lock:
            await self._drop()

    async def _call(self, ask):  # type: ignore[no-untyped-def]
        async with self._lock:
            try:
                return await self._ask(ask)
            except Exception:
                # The connections may be to a broker process that is gone: once more, afresh.
                await self._drop()
            try:
                return await self._ask(ask)
            except BaseException:
                await self._drop()
                raise

    async def _ask(self, ask):  # type: ignore[no-untyped-def]
        if self._admin is None:
            self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap,
                                              request_timeout_ms=int(BROKER_TIMEOUT_S * 1000))
            await asyncio.wait_for(self._admin.start(), BROKER_TIMEOUT_S)
        if self._offsets is None:
            self._offsets = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                             request_timeout_ms=int(BROKER_TIMEOUT_S * 1000))
            await asyncio.wait_for(self._offsets.start(), BROKER_TIMEOUT_S)
        return await asyncio.wait_for(ask(self._admin, self._offsets), BROKER_TIMEOUT_S)

    async def _drop(self) -> None:
        admin, offsets, self._admin, self._offsets = self._admin, self._offsets, None, None
        for client in (admin, offsets):
            if client is not None:
                # Bounded: closing a client of a broker process that is gone can wait for ever,
                # and the lock held meanwhile would stall every caller (readiness, the relay).
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        client.close() if isinstance(client, AIOKafkaAdminClient) else client.stop(), BROKER_TIMEOUT_S)
