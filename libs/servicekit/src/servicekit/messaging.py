"""Kafka broker factory and the consumer policy every subscriber follows.

- Offsets are committed only after the handler's transaction committed (AckPolicy.ACK,
  and the wrapper never lets an exception escape except on shutdown).
- Each event is applied at most once per consumer: the inbox row is written in the
  handler's transaction.
- A message that can never succeed (undecodable, invalid, or Rejected) goes to
  `<topic>.dlq` with the error in its headers, and the consumer moves on.
- Transient failures are retried in place with capped exponential backoff: infrastructure
  errors and NotYet for as long as it takes, unexpected errors a bounded number of
  times before the message is dead-lettered. Never a hot loop.
"""

import asyncio
import json
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, Protocol, TypeVar, get_args
from uuid import UUID

from aiokafka.errors import KafkaError
from contracts import Event, dlq_topic
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .channels import declare_consumer
from .errors import NotYet, Rejected
from .inbox import record_if_new
from .logging import correlation_id
from .metrics import HANDLE_SECONDS, MESSAGES
from .statements import tallied

log = logging.getLogger("servicekit.messaging")

E = TypeVar("E", bound=Event)
Handler = Callable[[AsyncConnection, E], Awaitable[None]]


class InboxUnitOfWork(Protocol):
    """A unit of work that records a consumed event in its own transaction (see inbox.record_if_new)."""

    async def record_if_new(self, consumer: str, event_id: UUID) -> bool: ...


# Opens a unit of work on the engine: one transaction, committed when the block ends.
UnitOfWorkFactory = Callable[[AsyncEngine], AbstractAsyncContextManager[InboxUnitOfWork]]
# Makes a unit of work on a connection whose transaction is already open (a unit of work's class,
# `SqlUnitOfWork(conn)`): the batch consumer applies each event in a savepoint of its batch's
# transaction, its inbox record already made.
JoinedUnitOfWork = Callable[[AsyncConnection], Any]

# How a service's consumers read: one FastStream subscriber per topic, or one batch consumer (batches.py).
ConsumerMode = Literal["per-topic", "batch"]

# Why a message was parked on its dead-letter topic (its `x-reason` header): it could not be read,
# the handler refused it, a fact it waited for never came, or it kept failing.
DeadLetterReason = Literal["invalid", "rejected", "waited-too-long", "failed"]
DEAD_LETTER_REASONS: tuple[str, ...] = get_args(DeadLetterReason)

TRANSIENT = (OSError, TimeoutError, KafkaError, OperationalError, InterfaceError, NotYet)


@dataclass(frozen=True)
class ConsumerGroup:
    """A service's consumers: the group its replicas share, and how long a silent one keeps its partitions."""

    id: str
    session_timeout_ms: int = 10_000
    mode: ConsumerMode = "per-topic"
    # The batch consumer's bound on one poll's records.
    batch_size: int = 500
    # How long the broker may hold a fetch that found nothing new (the client's default).
    fetch_max_wait_ms: int = 500

    def options(self) -> dict[str, int]:
        # Heartbeats a third of the session apart, as Kafka's clients do by default.
        return {"session_timeout_ms": self.session_timeout_ms,
                "heartbeat_interval_ms": max(self.session_timeout_ms // 3, 100),
                "fetch_max_wait_ms": self.fetch_max_wait_ms}


class Delivered(Protocol):
    """Where a consumed record came from (aiokafka's ConsumerRecord)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None


async def dead_letter(broker: KafkaBroker, raw: bytes, record: Delivered, reason: DeadLetterReason,
                      exc: BaseException, *, group_id: str, service: str) -> None:
    """Park a consumed message on `<topic>.dlq`, the error and where it came from in its headers."""
    headers = {
        "x-original-topic": record.topic,
        "x-consumer-group": group_id,
        "x-reason": reason,
        "x-error": f"{type(exc).__name__}: {exc}"[:4000],
        "x-partition": str(record.partition),
        "x-offset": str(record.offset),
    }
    await broker.publish(raw, dlq_topic(record.topic), key=record.key, headers=headers)
    MESSAGES.labels(service, record.topic, "dead_lettered").inc()
    log.error("message on %s dead-lettered (%s): %s", record.topic, reason, headers["x-error"])


def make_broker(bootstrap_servers: str, *, client_id: str) -> KafkaBroker:
    # Idempotent and transactional producers are not used: the outbox and inboxes
    # give exactly-once effects over at-least-once delivery on any Kafka-protocol broker.
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        enable_idempotence=False,
        acks="all",
        linger_ms=0,
        # FastStream logs every message received and processed at this level, on a logger of its
        # own it sets to INFO: at DEBUG those two lines per message cost nothing in production.
        log_level=logging.DEBUG,
    )


def _raw(msg: Any) -> bytes:
    return msg.body


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, TRANSIENT)


class RetryPolicy:
    def __init__(
        self, *, first: float = 0.05, cap: float = 5.0, max_unexpected: int = 5, max_not_yet: float = 600.0
    ) -> None:
        self.first = first
        self.cap = cap
        self.max_unexpected = max_unexpected
        # A fact that has not arrived in this long will not: park the message rather than
        # hold its partition forever.
        self.max_not_yet = max_not_yet

    def delay(self, attempt: int) -> float:
        return min(self.first * 2 ** (attempt - 1), self.cap)


def consume(
    broker: KafkaBroker,
    handlers: Mapping[type[Event], Handler[Any]],
    *,
    engine: AsyncEngine,
    group: ConsumerGroup,
    service: str,
    retry: RetryPolicy | None = None,
    unit_of_work: UnitOfWorkFactory | None = None,
    joined_unit_of_work: JoinedUnitOfWork | None = None,
) -> None:
    """Register `handler(conn, event)` per event type under the consumer policy; with
    `unit_of_work`, `handler(uow, event)`, the unit of work recording the event in its transaction.
    A group in batch mode registers them with the process's batch consumer instead (batches.py),
    which needs `joined_unit_of_work` for handlers on a unit of work.

    Each topic gets its own consumer in its own group, `<group id>.<topic>`: a retry waiting
    on one topic never holds up another (an email waiting for its OrderCreated must not block
    OrderCreated), and each group has one member per process, so joins and rebalances stay
    small and quick.
    """
    policy = retry or RetryPolicy()
    if group.mode == "batch":
        # Imported here: the batch consumer is built on this module's policy.
        from .batches import batch_consumer

        if unit_of_work is not None and joined_unit_of_work is None:
            raise ValueError("the batch consumer needs joined_unit_of_work to give handlers their unit of work")
        batches = batch_consumer(broker, group)
        for event_type, handler in handlers.items():
            batches.add(event_type, handler, engine=engine, service=service, policy=policy,
                        unit_of_work=joined_unit_of_work if unit_of_work is not None else None)
        return
    for event_type, handler in handlers.items():
        _consume_topic(broker, event_type, handler, engine=engine, group_id=topic_group(group.id, event_type.topic),
                       options=group.options(), service=service, policy=policy, unit_of_work=unit_of_work)


def topic_group(group_id: str, topic: str) -> str:
    """The consumer group that reads `topic` for a service whose group is `group_id`."""
    return f"{group_id}.{topic}"


def _consume_topic(
    broker: KafkaBroker,
    event_type: type[Event],
    handler: Handler[Any],
    *,
    engine: AsyncEngine,
    group_id: str,
    options: Mapping[str, int],
    service: str,
    policy: RetryPolicy,
    unit_of_work: UnitOfWorkFactory | None = None,
) -> None:
    topic = event_type.topic
    # The inbox belongs to the service's database, whatever group its consumers run in.
    consumer = f"{service}:{topic}"

    async def apply(event: Event) -> bool:
        with tallied(f"event {topic}"):
            if unit_of_work is not None:
                async with unit_of_work(engine) as uow:
                    if not await uow.record_if_new(consumer, event.event_id):
                        return False
                    await handler(uow, event)
                return True
            async with engine.begin() as conn:
                if not await record_if_new(conn, consumer, event.event_id):
                    return False
                await handler(conn, event)
            return True

    park = partial(dead_letter, broker, group_id=group_id, service=service)

    # FastStream sees only bytes on this consumer: the AsyncAPI document takes the event from here.
    declare_consumer(broker, event_type, group_id=group_id, service=service)

    @broker.subscriber(
        topic,
        group_id=group_id,
        **options,
        ack_policy=AckPolicy.ACK,
        auto_offset_reset="earliest",
        decoder=_raw,
        title=f"{group_id}/{topic}",
        description=f"{event_type.__doc__ or topic} Consumed by {service}.",
    )
    async def on_message(raw: bytes, msg: KafkaMessage) -> None:  # noqa: C901
        correlation_id.set(None)
        try:
            event = event_type.model_validate(json.loads(raw))
        except (ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
            await park(raw, msg.raw_message, "invalid", exc)
            return
        correlation_id.set(str(event.correlation_id))
        attempt = 0
        started = time.perf_counter()
        while True:
            attempt += 1
            try:
                applied = await apply(event)
            except asyncio.CancelledError:
                raise
            except Rejected as exc:
                await park(raw, msg.raw_message, "rejected", exc)
                return
            except Exception as exc:
                transient = _is_transient(exc)
                if isinstance(exc, NotYet) and time.perf_counter() - started > policy.max_not_yet:
                    await park(raw, msg.raw_message, "waited-too-long", exc)
                    return
                if not transient and attempt >= policy.max_unexpected:
                    log.error("giving up on %s after %d attempts:\n%s", topic, attempt, traceback.format_exc())
                    await park(raw, msg.raw_message, "failed", exc)
                    return
                MESSAGES.labels(service, topic, "retried").inc()
                delay = policy.delay(attempt)
                log.warning("retrying %s in %.2fs (attempt %d): %r", topic, delay, attempt, exc)
                await asyncio.sleep(delay)
                continue
            MESSAGES.labels(service, topic, "applied" if applied else "duplicate").inc()
            HANDLE_SECONDS.labels(service, topic).observe(time.perf_counter() - started)
            return


def subscribe(
    broker: KafkaBroker,
    event_type: type[E],
    handler: Handler[E],
    *,
    engine: AsyncEngine,
    group: ConsumerGroup,
    service: str,
    retry: RetryPolicy | None = None,
) -> None:
    """A consumer of one event type (see `consume`)."""
    consume(broker, {event_type: handler}, engine=engine, group=group, service=service, retry=retry)
