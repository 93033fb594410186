"""The batch consumer: one aiokafka consumer per process for every topic the service consumes.

The same policy as the per-topic consumers (messaging.py), paid per poll instead of per message:

- one consumer in one group, `<group id>` (the per-topic groups are `<group id>.<topic>`, so the
  two never share offsets), polling up to `batch_size` records at a time;
- the whole poll at once: the events of every partition (and topic) it brought are decoded,
  recorded in the inbox in one statement, and applied in one transaction, in the order they were
  published (each partition's own order kept), so an event rarely comes before the fact it needs
  from another topic; when every one applies, that is all (no savepoint, one BEGIN and COMMIT for
  the poll, and no round trip more than the handlers' own: fewer, since what they announce goes to
  the outbox in one insert after the last, outbox.deferred). When an event fails, that transaction
  is rolled back, the other partitions are applied together once more without it, and its
  partition goes on alone, each record in its own savepoint, so the one that fails rolls back alone.
  When that second try fails too (or the failure was not an event's), each partition goes on its
  own: first its records in one transaction again, then one savepoint each. An unreadable record
  is dead-lettered where it stands; a partition resumed after a failure starts there;
- a Rejected event is dead-lettered and its inbox record taken back, as the per-message path's rollback
  does; an unexpected error is retried a bounded number of times before it is dead-lettered;
- a transient error or NotYet commits what came before it and pauses that partition alone for the
  retry policy's backoff, at the failing offset: every other partition and topic goes on, as each
  topic's own group gives the per-topic path;
- the offsets of what was applied are committed once per poll, in one request, only after the
  transactions committed; a crash between the two redelivers, and the inbox absorbs it;
- a poll the group was rebalanced under (a member joined or left, or the broker lost the group and
  the consumer joined again) commits nothing and seeks nothing: its offsets belong to the
  assignment it was read under, and on a broker that restarted empty they are positions in a log
  that is gone. Committed into the new group they would outlive this process, and the next
  consumer of the partition would start there, past records it never read (the rewind check,
  rewind.py, sees only a position past the end). Its records come again from the new
  assignment's start, and the inbox absorbs them.
"""

import asyncio
import contextlib
import heapq
import json
import logging
import time
import traceback
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord
from contracts import Event
from faststream.kafka import KafkaBroker
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from . import outbox
from .backoff import Backoff
from .channels import declare_consumer
from .errors import NotYet, Rejected
from .inbox import record_new, record_new_of, release
from .logging import correlation_id
from .messaging import (
    ConsumerGroup, DeadLetterReason, Handler, JoinedUnitOfWork, RetryPolicy, _is_transient, dead_letter,
)
from .metrics import HANDLE_SECONDS, MESSAGES
from .statements import tallied
from .tasks import cancel_and_wait

log = logging.getLogger("servicekit.batches")

# How long a poll waits for records when there are none: also how late a paused partition resumes.
POLL_TIMEOUT_MS = 100
# After a failed poll (the broker away): soon at first, at most every 2 s while it stays away.
POLL_BACKOFF = Backoff(first=0.1, cap=2.0)


@dataclass(frozen=True)
class Route:
    """What the batch consumer does with one topic's events."""

    event: type[Event]
    handler: Handler[Any]
    engine: AsyncEngine
    service: str
    policy: RetryPolicy
    unit_of_work: JoinedUnitOfWork | None

    @property
    def inbox(self) -> str:
        # The per-topic path's inbox name: switching modes never applies an event twice.
        return f"{self.service}:{self.event.topic}"


@dataclass
class Retry:
    """A partition waiting to try its record at `offset` again."""

    offset: int
    attempt: int
    started: float
    resume_at: float = 0.0


@dataclass
class Outcome:
    """How far a partition's records got: the next offset to commit, and whether it must wait."""

    next_offset: int | None = None
    retry: Retry | None = None


class _Stop(Exception):
    """The record at `index` must be tried again later; those before it stand."""

    def __init__(self, index: int, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.index = index
        self.exc = exc


class BatchConsumer:
    """The process's one consumer of every topic registered with it (see the module's docstring)."""

    def __init__(self, broker: KafkaBroker, group: ConsumerGroup, *, poll_timeout_ms: int = POLL_TIMEOUT_MS) -> None:
        self.broker = broker
        self.group = group
        self.poll_timeout_ms = poll_timeout_ms
        self.routes: dict[str, Route] = {}
        # FastStream's document lists a broker's subscribers; this one never starts, so the batch
        # consumer's topics appear in the service's AsyncAPI document as the per-topic ones do.
        self.schema = KafkaBroker()
        self.consumer: AIOKafkaConsumer | None = None
        self._retries: dict[TopicPartition, Retry] = {}
        self._rebalances = _Rebalances(self._retries)
        self._polled_in = 0  # how many rebalances there had been when the poll being applied was read
        self._task: asyncio.Task[None] | None = None
        self._held: dict[AsyncEngine, AsyncConnection] = {}
        # Transactions committed: what the benchmark counts.
        self.transactions = 0

    def add(self, event_type: type[Event], handler: Handler[Any], *, engine: AsyncEngine, service: str,
            policy: RetryPolicy, unit_of_work: JoinedUnitOfWork | None) -> None:
        topic = event_type.topic
        self.routes[topic] = Route(event_type, handler, engine, service, policy, unit_of_work)
        declare_consumer(self.broker, event_type, group_id=self.group.id, service=service)

        @self.schema.subscriber(topic, group_id=self.group.id, title=f"{self.group.id}/{topic}",
                                description=f"{event_type.__doc__ or topic} Consumed by {service}.")
        async def documented(raw: bytes) -> None:  # pragma: no cover - never started
            raise AssertionError("the batch consumer's document subscribers never run")

    async def start(self) -> None:
        # FastStream's consumer builder: the same client settings as the per-topic consumers.
        builder = self.broker.config.broker_config.builder
        self.consumer = builder(group_id=self.group.id, enable_auto_commit=False, auto_offset_reset="earliest",
                                max_poll_records=self.group.batch_size, **self.group.options())
        await self.consumer.start()
        self.consumer.subscribe(sorted(self.routes), listener=self._rebalances)
        self._task = asyncio.create_task(self._run(), name="batch-consumer")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        await self.release()
        if self.consumer is not None:
            await self.consumer.stop()
            self.consumer = None

    async def _run(self) -> None:
        assert self.consumer is not None
        failures = 0
        while True:
            try:
                self._resume_due()
                polled = await self.consumer.getmany(timeout_ms=self.poll_timeout_ms,
                                                     max_records=self.group.batch_size)
                # After the poll, with no await in between: what it returns belongs to the
                # assignment of now (the client drops what it fetched for one that ended).
                self._polled_in = self._rebalances.count
                applied = await self._poll(polled)
                if applied and self._same_assignment():
                    await self._commit(applied)
                elif applied:
                    log.info("the group was rebalanced while a poll was applied: its offsets are not "
                             "committed, its records come again")
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker is away: the client reconnects, the next poll tries again
                failures += 1
                delay = POLL_BACKOFF.delay(failures)
                log.warning("batch consumer poll failed, again in %.1fs: %r", delay, exc)
                await asyncio.sleep(delay)

    @contextlib.asynccontextmanager
    async def _transaction(self, engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
        """A transaction on the consumer's own connection to `engine`, kept from one poll to the next:
        a poll then pays its BEGIN and COMMIT, not a checkout from the pool and a new SQLAlchemy
        connection around it too (about a third of a one-statement transaction's CPU). A failure
        that leaves it broken (the server ended it: a restart, an administrator) discards it, and
        the next transaction opens a fresh one; one that rolled back cleanly (an event that must
        wait) keeps it."""
        conn = self._held.get(engine)
        if conn is None or conn.closed or conn.invalidated:
            conn = self._held[engine] = await engine.connect()
        try:
            async with conn.begin():
                yield conn
        except BaseException:
            if not _alive(conn):
                self._held.pop(engine, None)
                with contextlib.suppress(Exception):
                    await conn.invalidate()  # not back into the pool, where the next caller would get it dead
            raise

    async def release(self) -> None:
        """Give the connections kept between polls back to their pools."""
        for engine in list(self._held):
            await self._let_go(engine)

    async def _let_go(self, engine: AsyncEngine) -> None:
        conn = self._held.pop(engine, None)
        if conn is not None:
            with contextlib.suppress(Exception):  # broken with its server: the pool discards it
                await conn.close()

    def _resume_due(self) -> None:
        assert self.consumer is not None
        now = time.monotonic()
        paused = self.consumer.paused()
        for tp, retry in self._retries.items():
            if tp in paused and retry.resume_at <= now:
                self.consumer.resume(tp)

    def _same_assignment(self) -> bool:
        """Whether the group has not been rebalanced since the poll being applied was read. If it
        has, the new assignment started every partition again from the group's commit (or the
        beginning, for a group the broker lost), so what the poll read comes again without a seek."""
        return self._rebalances.count == self._polled_in

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        """The poll's offsets in one request, each after its transaction committed. Refused during a
        rebalance (or lost in a crash before it), the records come again and the inbox absorbs them."""
        assert self.consumer is not None
        try:
            await self.consumer.commit(offsets)
        except Exception as exc:
            log.warning("offsets not committed, their records will come again: %r", exc)

    async def _poll(self, polled: dict[TopicPartition, list[ConsumerRecord]]) -> dict[TopicPartition, int]:
        """Apply one poll; the offset to commit for each partition that got through.

        Every partition not waiting on a retry, whose records all decode, goes into one transaction
        with the others on the same database: a poll of ten topics' events pays one BEGIN, one
        inbox record and one COMMIT, not ten. If that transaction fails, it is rolled back and each
        partition is applied on its own (`_partition`), where the failing event is dealt with alone."""
        applied: dict[TopicPartition, int] = {}
        together: dict[AsyncEngine, dict[TopicPartition, tuple[Route, list[tuple[ConsumerRecord, Event]]]]] = {}
        alone: list[TopicPartition] = []
        for tp, records in polled.items():
            if not records:
                continue
            route = self.routes[tp.topic]
            decoded = [(record, event) for record, event, _ in _decode(route, records)]
            if self._waiting(tp, records) is None and all(event is not None for _, event in decoded):
                together.setdefault(route.engine, {})[tp] = (route, [(r, e) for r, e in decoded if e is not None])
            else:
                alone.append(tp)
        # A partition that failed here alone goes straight to its savepoints; one of several is
        # first tried whole again on its own, so the others still commit without savepoints.
        tried_alone: set[TopicPartition] = set()
        for parts in together.values():
            attempt = await self._all_at_once(_in_order(parts))
            if attempt.committed:
                self._applied(parts, polled, applied)
                continue
            if attempt.failed is None or len(parts) == 1:
                alone.extend(parts)
                if len(parts) == 1:
                    tried_alone.update(parts)
                continue
            # One partition's event failed (most often one that must wait for another topic's fact):
            # it goes on alone, straight to its savepoints, and the others once more together.
            alone.append(attempt.failed)
            tried_alone.add(attempt.failed)
            rest = {tp: part for tp, part in parts.items() if tp != attempt.failed}
            if (await self._all_at_once(_in_order(rest))).committed:
                self._applied(rest, polled, applied)
            else:
                alone.extend(rest)
                if len(rest) == 1:
                    tried_alone.update(rest)
        for tp in alone:
            upto = await self._partition(tp, polled[tp], whole_first=tp not in tried_alone)
            if upto is not None:
                applied[tp] = upto
        return applied

    def _applied(self, parts: dict[TopicPartition, Any], polled: dict[TopicPartition, list[ConsumerRecord]],
                 applied: dict[TopicPartition, int]) -> None:
        """These partitions' records committed together: each moves past its last."""
        for tp in parts:
            self._retries.pop(tp, None)
            applied[tp] = polled[tp][-1].offset + 1

    def _waiting(self, tp: TopicPartition, records: Sequence[ConsumerRecord]) -> Retry | None:
        """The retry this partition's records resume, if they start at the record that failed."""
        retry = self._retries.get(tp)
        if retry is not None and records and records[0].offset != retry.offset:
            return None  # moved on (a rewind, a rebalance): a fresh count for what comes
        return retry

    async def _partition(self, tp: TopicPartition, records: Sequence[ConsumerRecord], *,
                         whole_first: bool = True) -> int | None:
        """Apply one partition's records; the offset to commit for it, if any got through."""
        assert self.consumer is not None
        route = self.routes[tp.topic]
        outcome = await self._apply(route, records, self._waiting(tp, records), whole_first=whole_first)
        if outcome.retry is None:
            self._retries.pop(tp, None)
        elif tp in self.consumer.assignment() and self._same_assignment():
            self._retries[tp] = outcome.retry
            # Back to the failing record once resumed; whatever else was fetched for it is dropped.
            self.consumer.seek(tp, outcome.retry.offset)
            self.consumer.pause(tp)
        # Otherwise it was taken away or assigned again meanwhile: it starts again from the group's commit.
        return outcome.next_offset

    async def _apply(self, route: Route, records: Sequence[ConsumerRecord], retry: Retry | None, *,
                     whole_first: bool = True) -> Outcome:
        """Apply one partition's records in one transaction; how far it got."""
        events: list[tuple[ConsumerRecord, Event | None, BaseException | None]] = list(_decode(route, records))
        readable = [event for _, event, _ in events if event is not None]
        # First all of them without a savepoint each (two round trips less per event); when one
        # fails, that is rolled back and they are applied again one savepoint each, where the
        # failing one is dealt with alone. A partition resumed after a failure starts with it.
        if whole_first and retry is None and len(readable) == len(events) \
                and (await self._all_at_once([(_partition_of(records[0]), route, event)
                                              for event in readable])).committed:
            return Outcome(records[-1].offset + 1)
        try:
            with tallied(f"batch {route.event.topic}"):
                async with self._transaction(route.engine) as conn:
                    fresh = await record_new(conn, route.inbox, [e.event_id for _, e, _ in events if e is not None])
                    stop = await self._each(conn, route, events, fresh, retry)
            self.transactions += 1
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the transaction itself failed (the database went away): all of it again
            stop = _Stop(0, exc)
            if not _is_transient(exc):
                log.error("batch on %s failed:\n%s", route.event.topic, traceback.format_exc())
        if stop is None:
            return Outcome(records[-1].offset + 1)
        failing = records[stop.index]
        same = retry is not None and retry.offset == failing.offset
        attempt = retry.attempt + 1 if same and retry else 1
        started = retry.started if same and retry else time.monotonic()
        delay = route.policy.delay(attempt)
        MESSAGES.labels(route.service, route.event.topic, "retried").inc()
        log.warning("retrying %s[%d]@%d in %.2fs (attempt %d): %r", failing.topic, failing.partition,
                    failing.offset, delay, attempt, stop.exc)
        return Outcome(failing.offset if stop.index else None,
                       Retry(failing.offset, attempt, started, time.monotonic() + delay))

    async def _all_at_once(self, items: Sequence[tuple[TopicPartition, Route, Event]]) -> "_Attempt":
        """Apply these events (of one or more partitions, on one database) in one transaction without
        savepoints, in the order given; whether that committed, and if an event raised, whose partition."""
        topics = sorted({route.event.topic for _, route, _ in items})
        took: list[tuple[Route, float]] = []
        duplicates: dict[str, int] = {}
        at: TopicPartition | None = None  # whose event is being applied, while a handler runs
        try:
            with tallied(f"batch {topics[0]}" if len(topics) == 1 else "batch poll"):
                async with self._transaction(items[0][1].engine) as conn:
                    fresh = await record_new_of(conn, [(route.inbox, event.event_id) for _, route, event in items])
                    # What the handlers announce goes to the outbox in one insert after the last.
                    async with outbox.deferred(conn):
                        for tp, route, event in items:
                            if (route.inbox, event.event_id) not in fresh:
                                duplicates[route.event.topic] = duplicates.get(route.event.topic, 0) + 1
                                continue
                            fresh.discard((route.inbox, event.event_id))  # the same event twice in one poll
                            correlation_id.set(str(event.correlation_id))
                            started = time.perf_counter()
                            at = tp
                            with tallied(f"event {route.event.topic}"):
                                await route.handler(
                                    conn if route.unit_of_work is None else route.unit_of_work(conn), event)
                            at = None
                            took.append((route, time.perf_counter() - started))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # seen again, and dealt with, one partition and one savepoint each
            log.debug("batch on %s rolled back, applying it one savepoint each: %r", ", ".join(topics), exc)
            return _Attempt(False, at)
        self.transactions += 1
        for topic, count in duplicates.items():
            MESSAGES.labels(self.routes[topic].service, topic, "duplicate").inc(count)
        for route, seconds in took:
            MESSAGES.labels(route.service, route.event.topic, "applied").inc()
            HANDLE_SECONDS.labels(route.service, route.event.topic).observe(seconds)
        return _Attempt(True)

    async def _each(self, conn: AsyncConnection, route: Route,
                    events: list[tuple[ConsumerRecord, Event | None, BaseException | None]],
                    fresh: set[UUID], retry: Retry | None) -> _Stop | None:
        """Each record in its savepoint; the first that must wait stops the rest (their inbox records taken back)."""
        topic = route.event.topic
        for index, (record, event, invalid) in enumerate(events):
            if event is None:
                correlation_id.set(None)
                await self._park(record, "invalid", invalid or ValueError("unreadable"), route)
                continue
            correlation_id.set(str(event.correlation_id))
            if event.event_id not in fresh:
                MESSAGES.labels(route.service, topic, "duplicate").inc()
                continue
            fresh.discard(event.event_id)  # the same event twice in one poll: the second is a duplicate
            started = time.perf_counter()
            try:
                with tallied(f"event {topic}"):
                    async with conn.begin_nested():
                        await route.handler(conn if route.unit_of_work is None else route.unit_of_work(conn), event)
            except asyncio.CancelledError:
                raise
            except Rejected as exc:
                await release(conn, route.inbox, [event.event_id])
                await self._park(record, "rejected", exc, route)
                continue
            except Exception as exc:
                parked = self._gives_up(route, record, exc, retry)
                if parked is None:
                    await release(conn, route.inbox, [event.event_id, *_later(events[index + 1:], fresh)])
                    return _Stop(index, exc)
                await release(conn, route.inbox, [event.event_id])
                await self._park(record, parked, exc, route)
                continue
            MESSAGES.labels(route.service, topic, "applied").inc()
            HANDLE_SECONDS.labels(route.service, topic).observe(time.perf_counter() - started)
        return None

    def _gives_up(self, route: Route, record: ConsumerRecord, exc: Exception,
                  retry: Retry | None) -> DeadLetterReason | None:
        """Why to dead-letter a record that failed, or None to try it again later (messaging.py's rules)."""
        same = retry is not None and retry.offset == record.offset
        attempt = (retry.attempt if same and retry else 0) + 1
        waited = time.monotonic() - retry.started if same and retry else 0.0
        if isinstance(exc, NotYet) and waited > route.policy.max_not_yet:
            return "waited-too-long"
        if not _is_transient(exc) and attempt >= route.policy.max_unexpected:
            log.error("giving up on %s after %d attempts:\n%s", record.topic, attempt, traceback.format_exc())
            return "failed"
        return None

    async def _park(self, record: ConsumerRecord, reason: DeadLetterReason, exc: BaseException, route: Route) -> None:
        await dead_letter(self.broker, record.value or b"", record, reason, exc, group_id=self.group.id,
                          service=route.service)


def _alive(conn: AsyncConnection) -> bool:
    """Whether the connection still reaches its server (asyncpg notices a connection ended under it)."""
    if conn.closed or conn.invalidated:
        return False
    try:
        return not conn.sync_connection.connection.driver_connection.is_closed()
    except Exception:
        return False


@dataclass(frozen=True)
class _Attempt:
    """A try of several partitions' events in one transaction: whether it committed, and when one
    of them raised (rather than the inbox, the outbox or the commit failing), whose partition."""

    committed: bool
    failed: TopicPartition | None = None


def _in_order(parts: dict[TopicPartition, tuple[Route, list[tuple[ConsumerRecord, Event]]]],
              ) -> list[tuple[TopicPartition, Route, Event]]:
    """A poll's events in the order they were published, across partitions and topics, each
    partition's own order kept (a merge never reorders one lane). A fact and what it caused are
    published one after the other (an order before its payment link), so applied in this order the
    effect rarely finds its cause missing, where in the client's order of partitions it often did
    and the whole poll was rolled back and done again in savepoints. Clocks of different producers
    may disagree a little: then that event waits for its retry, as it would in any order."""
    lanes = [[(record.timestamp, tp, route, event) for record, event in pairs] for tp, (route, pairs) in parts.items()]
    return [(tp, route, event) for _, tp, route, event in heapq.merge(*lanes, key=lambda item: item[0])]


def _partition_of(record: ConsumerRecord) -> TopicPartition:
    return TopicPartition(record.topic, record.partition)


def _decode(route: Route, records: Sequence[ConsumerRecord]) -> Iterator[tuple[ConsumerRecord, Event | None,
                                                                               BaseException | None]]:
    for record in records:
        try:
            yield record, route.event.model_validate(json.loads(record.value or b"")), None
        except (ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
            yield record, None, exc


def _later(events: list[tuple[ConsumerRecord, Event | None, BaseException | None]], fresh: set[UUID]) -> list[UUID]:
    """The inbox records of the events not reached yet (they are tried again with the failing one)."""
    return [e.event_id for _, e, _ in events if e is not None and e.event_id in fresh]


class _Rebalances(ConsumerRebalanceListener):
    """Counts the group's rebalances (each revocation and each assignment); a partition taken away
    forgets its retry: its next owner starts from the committed offset."""

    def __init__(self, retries: dict[TopicPartition, Retry]) -> None:
        self._retries = retries
        self.count = 0

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self.count += 1
        for tp in revoked:
            self._retries.pop(tp, None)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.count += 1


# Weak: a broker built by a test and dropped takes its batch consumer with it.
_CONSUMERS: WeakKeyDictionary[KafkaBroker, BatchConsumer] = WeakKeyDictionary()


def batch_consumer(broker: KafkaBroker, group: ConsumerGroup) -> BatchConsumer:
    """The batch consumer of `broker`'s process, made on first use."""
    if broker not in _CONSUMERS:
        _CONSUMERS[broker] = BatchConsumer(broker, group)
    return _CONSUMERS[broker]


def batch_consumer_of(broker: KafkaBroker) -> BatchConsumer | None:
    """The batch consumer registered on `broker`, if its consumers run in batch mode."""
    return _CONSUMERS.get(broker)
