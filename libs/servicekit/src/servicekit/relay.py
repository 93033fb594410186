"""The outbox relay: publishes outbox rows in order, once committed.

- Wakes on commit (LISTEN/NOTIFY from add_to_outbox), with a slow poll as a safety net.
- One publisher per database at a time: it holds a PostgreSQL advisory lock on its
  listening connection; a replica that cannot take it stands by and retries. If that
  connection dies, the lock goes with it and another replica takes over.
- Rows are published a batch at a time (`batch_size`, oldest first): all partitions at
  once, each partition's rows in id order, each confirmed by the broker before the next of
  its partition (see `_send_all`), so per-key order holds; then the batch is marked
  published in one statement. A failed publish is retried with capped backoff from that
  row on. A row is marked published only after the broker confirmed it and every row
  before it, so a crash can only cause a duplicate, which consumers' inboxes absorb.
- The broker is trusted only as far as it keeps what it acknowledged. Each row records where
  the broker placed it (partition, offset). About every second, before publishing after any
  failure, and whenever the broker hands out an offset at or below one it already gave, the
  relay compares those with the broker's end offsets: rows the broker no longer holds (an
  embedded broker restarted empty, a topic deleted, a partition truncated) are queued again
  and republished in id order, after the topics are created again and a pause (`settle`)
  that lets consumers still at their old positions rejoin first (see rewind.py). So rows
  are kept for `retention_hours` after publishing, and the newest of each partition always.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import NamedTuple

import asyncpg
from aiokafka.partitioner import murmur2
from aiokafka.structs import RecordMetadata
from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from .backoff import Backoff
from .db import Driver, asyncpg_dsn, driver_connection
from .metrics import OUTBOX_FAILURES, OUTBOX_LAG, OUTBOX_PUBLISHED, OUTBOX_REQUEUED
from .outbox import NOTIFY_CHANNEL
from .statements import tallied
from .tasks import cancel_and_wait
from .topics import ServiceTopics

log = logging.getLogger("servicekit.relay")

# Any 64-bit number works; the same one in every replica of one service's database.
RELAY_LOCK_ID = 0x6F7574626F78  # "outbox"

Partition = tuple[str, int]


class Pending(NamedTuple):
    """An outbox row to publish: its payload the JSON stored, sent as those bytes."""

    id: int
    topic: str
    key: str | None
    payload: bytes
    headers: dict[str, str]
    created_at: datetime


# Every round sends these two: straight to asyncpg (db.driver_connection). The payload is read as
# the text PostgreSQL keeps and published as it is, never parsed into objects and dumped again.
_PENDING = ("SELECT id, topic, key, payload::text, headers::text, created_at FROM outbox "
            "WHERE published_at IS NULL ORDER BY id LIMIT $1")
_MARK = ("UPDATE outbox SET published_at = now(), kafka_partition = v.p, kafka_offset = v.o "
         "FROM unnest($1::bigint[], $2::int[], $3::bigint[]) AS v(id, p, o) WHERE outbox.id = v.id")


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        broker: KafkaBroker,
        *,
        service: str,
        topics: ServiceTopics,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        backoff: Backoff = Backoff(first=0.1, cap=5.0),
        retention_hours: int = 24,
        verify_interval: float = 1.0,
        settle: float = 10.0,
    ) -> None:
        self._engine = engine
        self._broker = broker
        self._service = service
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._backoff = backoff
        self._retention_hours = retention_hours
        self._topics = topics
        self._verify_interval = verify_interval
        self._settle = settle
        self._hold_until = 0.0
        # The highest offset the broker acknowledged per partition, for the rows still held.
        self._placed: dict[Partition, int] = {}
        self._verified_at = 0.0
        # How many partitions each topic the relay publishes to has: which lane a row takes.
        self._partitions: dict[str, int] = {}
        self._suspect = True
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self.is_leader = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self._service}")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        await self._drop_listener()
        await self._topics.close()

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        failures = 0
        # Due at once: the monotonic clock counts from boot, so 0.0 would wait for a young machine's 10th minute.
        last_prune = last_lag = float("-inf")
        while True:
            try:
                if not await self._ensure_leader():
                    await asyncio.sleep(2.0)
                    continue
                if self._suspect or time.monotonic() - self._verified_at > self._verify_interval:
                    await self.verify()
                if (hold := self._hold_until - time.monotonic()) > 0:
                    await asyncio.sleep(hold)
                with tallied("relay"):
                    published = await self.publish_pending()
                    failures = 0
                    if time.monotonic() - last_prune > 600:
                        await self._prune()
                        last_prune = time.monotonic()
                    if time.monotonic() - last_lag > 5:
                        await self._measure_lag()
                        last_lag = time.monotonic()
                if published < self._batch_size:
                    await self._wait_for_work()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database trouble: back off, never spin
                # Whatever failed, the broker may have restarted meanwhile: check it before the next row.
                self._suspect = True
                OUTBOX_FAILURES.labels(self._service).inc()
                failures += 1
                delay = self._backoff.delay(failures)
                log.warning("outbox relay failed, retrying in %.1fs: %r", delay, exc)
                if self._listener is not None and self._listener.is_closed():
                    await self._drop_listener()
                await asyncio.sleep(delay)

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._poll_interval)
        self._wake.clear()

    async def _ensure_leader(self) -> bool:
        if self._listener is not None and not self._listener.is_closed() and self.is_leader:
            return True
        await self._drop_listener()
        conn = await asyncpg.connect(asyncpg_dsn(self._engine.url.render_as_string(hide_password=False)))
        got = await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_ID)
        if not got:
            await conn.close()
            return False
        await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        self._listener = conn
        self.is_leader = True
        await self._load_placements()
        self._suspect = True
        log.info("outbox relay of %s is publishing", self._service)
        return True

    async def _drop_listener(self) -> None:
        self.is_leader = False
        conn, self._listener = self._listener, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.close()

    @contextlib.asynccontextmanager
    async def _autocommit(self) -> AsyncIterator[Driver]:
        """Where a round's read and mark go: the leader's own connection, each statement its own
        transaction (one round trip each; through the pool, BEGIN and COMMIT made it three, plus
        SQLAlchemy's checkout), or a transaction of the engine for a relay driven by hand, without
        the leader's connection. Nothing needs the two in one transaction: one leader reads, and
        a mark lost in a crash only publishes those rows again, which the inboxes absorb."""
        if self._listener is not None and not self._listener.is_closed():
            yield Driver(self._listener)
        else:
            async with self._engine.begin() as conn:
                yield await driver_connection(conn)

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows in order; returns how many were published.

        The batch's partitions are published to at once (see `_send_all`), every answer is
        awaited, then the rows are marked published, with where the broker placed each, in one
        statement. A batch is settled before the next is read, so one batch never overtakes
        another.
        """
        async with self._autocommit() as db:
            rows = [Pending(id, topic, key, payload.encode(), json.loads(headers), created_at)
                    for id, topic, key, payload, headers, created_at
                    in await db.fetch(_PENDING, self._batch_size)]
        if not rows:
            return 0
        answers = await self._send_all(rows)
        lost = self._regressions(rows, answers)
        done: list[tuple[int, int, int]] = []
        # In id order, up to the first row the broker did not take, or the first it placed on a
        # log that lost what it held: nothing after it is marked, even where the broker
        # acknowledged it, so all of that goes out again after it.
        for row, placed in zip(rows, answers):
            if not isinstance(placed, RecordMetadata):
                failed, error = next((r, a) for r, a in zip(rows, answers) if isinstance(a, BaseException))
                await self._mark(done, failed=failed.id, error=repr(error), lost=lost)
                raise error
            tp = (row.topic, placed.partition)
            done.append((row.id, placed.partition, placed.offset))
            self._placed[tp] = max(self._placed.get(tp, -1), placed.offset)
            if tp in lost and placed.offset >= lost[tp]:
                break
        await self._mark(done, lost=lost)
        if lost:
            self._wake.set()  # what was queued again goes out once held back enough, not after a poll
        OUTBOX_PUBLISHED.labels(self._service).inc(len(done))
        return len(done)

    def _regressions(self, rows: Sequence[Pending],
                     answers: Sequence[RecordMetadata | BaseException | None]) -> dict[Partition, int]:
        """Each partition where the broker handed out an offset at or below one it had already
        given, from that offset: offsets only grow on a broker that keeps its log, so this one
        lost what it held there from then on. The rows placed there from that offset go out
        again too, after the lost ones: a consumer still at its old position may skip them.

        Looked for in every answer of the batch, not only up to the first: each partition's
        lane may have had a row in flight when the broker restarted, and a row on the new log
        is the only sign left there (its end offset would read as a log that kept its start).
        """
        lost: dict[Partition, int] = {}
        top = dict(self._placed)
        for row, placed in zip(rows, answers):
            if not isinstance(placed, RecordMetadata):
                continue
            tp = (row.topic, placed.partition)
            if tp not in lost and placed.offset <= top.get(tp, -1):
                lost[tp] = placed.offset
            top[tp] = placed.offset
        if lost:
            self._suspect = True  # check every partition before publishing more
        return lost

    async def _send_all(self, rows: Sequence[Pending]) -> list[RecordMetadata | BaseException | None]:
        """Publish the rows, each partition's in id order, all partitions at once; the broker's
        answer for each row: where it placed it, the error, or None for a row not sent.

        One lane per partition: a lane hands the producer its next row only once the broker
        acknowledged the one before, so a partition holds its rows in id order whatever fails,
        as when every row waited for the one before it. The lanes run together, and the
        producer (aiokafka) packs what they have pending, one record per partition, into one
        request to each broker: a batch takes about as many round trips as its busiest
        partition has rows, not as many as it has rows.

        Why not hand every row to the producer at once and await them all: the producer would
        pack a partition's pending rows into one record batch, and the embedded broker of the
        local stack and the tests (Tansu) then reports that partition's end offset as one past
        the batch's first record, not its last. The relay's check of what the broker still holds
        and the consumers' check of positions past the end (rewind.py) would both take that
        for a lost log. And without idempotence (which Tansu lacks; see messaging.make_broker)
        a record batch that fails for good while the next of its partition succeeds would put
        a later row before an earlier one. A lane avoids both at once.

        The lane of a row is the partition the producer will pick for its key (aiokafka's
        default: murmur2 of the key over the topic's partitions), from the partition counts the
        relay knows; a topic it does not know yet is one lane. After the first failure no lane
        sends another row; those already sent are still awaited, so none is left unobserved.
        """
        counts = await self._partition_counts({row.topic for row in rows})
        lanes: dict[tuple[str, int], list[int]] = {}
        for i, row in enumerate(rows):
            lanes.setdefault((row.topic, _lane(row.key, counts.get(row.topic))), []).append(i)
        answers: list[RecordMetadata | BaseException | None] = [None] * len(rows)
        failed = False

        async def drive(lane: list[int]) -> None:
            nonlocal failed
            for i in lane:
                if failed:
                    return
                row = rows[i]
                try:
                    answers[i] = await self._broker.publish(
                        row.payload,
                        row.topic,
                        key=row.key.encode() if row.key else None,
                        headers=row.headers,
                        correlation_id=row.headers.get("correlation_id"),
                    )
                except Exception as exc:
                    answers[i], failed = exc, True
                    return

        await asyncio.gather(*(drive(lane) for lane in lanes.values()))
        return answers

    async def _partition_counts(self, topics: set[str]) -> dict[str, int]:
        # Learnt once per topic, and again after any failure or a topic made again (verify). A
        # count that is out of date only groups rows into lanes otherwise: a key still keeps
        # one lane, so its rows still go one after another.
        if unknown := topics - self._partitions.keys():
            self._partitions.update(await self._topics.partitions(unknown))
        return self._partitions

    async def verify(self) -> int:
        """Create missing topics and queue again the rows the broker no longer holds; returns how many."""
        # One description of the topics, then their end offsets: the check every second.
        created, reach = await self._topics.check(self._placed)
        if self._suspect or created:
            # A topic made again may have another partition count; otherwise counts stand, and
            # the check every second asks the broker nothing more than it did.
            self._partitions = await self._topics.partitions(self._partitions.keys())
        lost = {tp: end for tp, end in reach.items() if end <= self._placed[tp]}
        requeued = await self._mark([], lost=lost) if lost else 0
        self._verified_at = time.monotonic()
        self._suspect = False
        return requeued

    async def _mark(self, placed: list[tuple[int, int, int]], *, failed: int | None = None, error: str = "",
                    lost: dict[Partition, int] | None = None) -> int:
        """Record published rows where the broker placed them; queue again what it lost (each partition from an offset)."""
        requeued = 0
        if failed is None and not lost:  # every round but the rare one: one statement, one round trip
            if placed:
                ids, partitions, offsets = map(list, zip(*placed))
                async with self._autocommit() as db:
                    await db.execute(_MARK, ids, partitions, offsets)
            return 0
        async with self._engine.begin() as conn:
            if placed:
                ids, partitions, offsets = map(list, zip(*placed))
                await (await driver_connection(conn)).execute(_MARK, ids, partitions, offsets)
            if failed is not None:
                await conn.execute(
                    text("UPDATE outbox SET attempts = attempts + 1, last_error = :e WHERE id = :id"),
                    {"id": failed, "e": error[:2000]},
                )
            for (topic, partition), offset in (lost or {}).items():
                result = await conn.execute(
                    text(
                        "UPDATE outbox SET published_at = NULL, kafka_partition = NULL, kafka_offset = NULL "
                        "WHERE published_at IS NOT NULL AND topic = :t AND kafka_partition = :p "
                        "AND kafka_offset >= :o"
                    ),
                    {"t": topic, "p": partition, "o": offset},
                )
                requeued += result.rowcount
                # What is left there lies below that offset, all of it still held.
                self._placed[(topic, partition)] = offset - 1
        if requeued:
            # Consumers may still hold positions from the broker's old log: give them a session
            # to notice (their group is gone, or their offset is past the new end: both restart
            # them from the beginning) before the partition fills up past those positions.
            self._hold_until = time.monotonic() + self._settle
            OUTBOX_REQUEUED.labels(self._service).inc(requeued)
            log.warning("the broker lost %d published rows of %s (%s); publishing them again", requeued,
                        self._service, ", ".join(f"{t}[{p}] from {o}" for (t, p), o in (lost or {}).items()))
        return requeued

    async def _load_placements(self) -> None:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT topic, kafka_partition, max(kafka_offset) AS top FROM outbox "
                "WHERE published_at IS NOT NULL AND kafka_offset IS NOT NULL GROUP BY topic, kafka_partition"
            ))).all()
        self._placed = {(r.topic, r.kafka_partition): r.top for r in rows}

    async def _measure_lag(self) -> None:
        # Every few seconds, not per batch: it is a metric, not part of publishing.
        async with self._engine.connect() as conn:
            lag = await conn.scalar(
                text(
                    "SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0) "
                    "FROM outbox WHERE published_at IS NULL"
                )
            )
        OUTBOX_LAG.labels(self._service).set(float(lag or 0))

    async def _prune(self) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                # The newest row of each partition stays: it holds how far the broker had got there,
                # so a broker that restarts empty is noticed on the first row published there.
                text(
                    "DELETE FROM outbox WHERE published_at < now() - make_interval(hours => :h) "
                    "AND id NOT IN (SELECT max(id) FROM outbox WHERE kafka_offset IS NOT NULL "
                    "GROUP BY topic, kafka_partition)"
                ),
                {"h": self._retention_hours},
            )
        await self._load_placements()


def _lane(key: str | None, partitions: int | None) -> int:
    """The partition the producer puts a key on (aiokafka's DefaultPartitioner), or -1: one lane
    for every row of a topic whose partitions are not known, or without a key (the producer
    picks such a row's partition at random; an empty key is sent as none)."""
    if not key or not partitions:
        return -1
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions
