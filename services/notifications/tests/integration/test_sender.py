"""The email sender on real PostgreSQL and a real SMTP server, without the broker."""

import asyncio
import uuid
from datetime import timedelta

import asyncpg
import pytest
from notifications import service
from notifications.domain.delivery import UNCONFIRMED
from notifications.adapters.unit_of_work import SqlUnitOfWork
from notifications.workers.marks import SentMarks
from notifications.workers.sender import email_sender
from notifications.main import MIGRATIONS
from notifications.settings import Settings
from servicekit.statements import tallied
from servicekit.testing import migrated_database
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from .conftest import record_link_email


@pytest.fixture(scope="module")
async def database(infra):
    url = await migrated_database(infra, "notifications", MIGRATIONS)
    engine = create_async_engine(url)
    yield url, engine
    await engine.dispose()


async def statuses(engine, order_ids: list[uuid.UUID]) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.scalars(
            text("SELECT status FROM deliveries WHERE order_id = ANY(:ids)"), {"ids": order_ids}
        )).all())


async def test_two_senders_share_the_work_and_send_each_email_once(database, mailbox, eventually):
    url, engine = database
    addresses = [f"{uuid.uuid4().hex[:12]}@example.com" for _ in range(20)]
    orders = [await record_link_email(engine, to) for to in addresses]
    settings = Settings(database_url=url, smtp_port=mailbox.port, send_concurrency=3)
    senders = [email_sender(engine, settings), email_sender(engine, settings)]
    for sender in senders:
        await sender.start()
    try:
        await eventually(lambda: _all_sent(engine, orders))
    finally:
        for sender in senders:
            await sender.stop()
    assert [len(mailbox.messages_to(to)) for to in addresses] == [1] * len(addresses)


async def _all_sent(engine, orders: list[uuid.UUID]) -> bool:
    found = await statuses(engine, orders)
    return len(found) == len(orders) and set(found) == {"sent"}


async def delivery_id(engine, order_id: uuid.UUID) -> uuid.UUID:
    async with engine.connect() as conn:
        return await conn.scalar(text("SELECT id FROM deliveries WHERE order_id = :o"), {"o": order_id})


async def claimed_ids(engine, lease: timedelta = timedelta(minutes=5)) -> set[uuid.UUID]:
    async with engine.begin() as conn:
        return {d.id for d in await service.claim_due(SqlUnitOfWork(conn), 100, lease)}


async def test_a_claimed_delivery_is_skipped_while_leased_and_counted_per_try(database):
    _, engine = database
    mine = await delivery_id(engine, await record_link_email(engine, f"{uuid.uuid4().hex[:12]}@example.com"))
    async with engine.begin() as conn:
        [first] = [d for d in await service.claim_due(SqlUnitOfWork(conn), 100, timedelta(0)) if d.id == mine]
    assert first.attempts == 1
    # A lease of zero gives it straight back: the next claim is the second try.
    async with engine.begin() as conn:
        [second] = [d for d in await service.claim_due(SqlUnitOfWork(conn), 100, timedelta(minutes=5)) if d.id == mine]
    assert second.attempts == 2
    assert mine not in await claimed_ids(engine)


async def test_a_delivery_locked_by_one_sender_is_skipped_by_another(database):
    _, engine = database
    mine = await delivery_id(engine, await record_link_email(engine, f"{uuid.uuid4().hex[:12]}@example.com"))
    async with engine.connect() as holder:
        await holder.begin()
        await holder.execute(text("SELECT 1 FROM deliveries WHERE id = :d FOR UPDATE"), {"d": mine})
        # Would block on the lock without SKIP LOCKED.
        assert mine not in await asyncio.wait_for(claimed_ids(engine), 5)
        await holder.rollback()
    assert mine in await claimed_ids(engine)


async def test_the_sends_in_flight_hand_over_in_one_commit_and_end_their_messages_in_that_step(database):
    from notifications.workers.handovers import Handovers

    _, engine = database
    orders = [await record_link_email(engine, f"{uuid.uuid4().hex[:12]}@example.com") for _ in range(3)]
    mine = {await delivery_id(engine, o) for o in orders}
    async with engine.begin() as conn:
        tries = [d for d in await service.claim_due(SqlUnitOfWork(conn), 100, timedelta(minutes=5)) if d.id in mine]
    steps: list[str] = []

    async def busy() -> None:  # another task that runs whenever it is given the chance
        while True:
            steps.append("other")
            await asyncio.sleep(0)

    noise = asyncio.create_task(busy())
    handovers = Handovers(engine, timedelta(minutes=5))
    granted = await asyncio.gather(*(
        handovers.hand_over(t, lambda t=t: steps.append(f"end {t.id}")) for t in tries
    ))
    noise.cancel()
    assert granted == [True, True, True]
    ends = [i for i, step in enumerate(steps) if step.startswith("end")]
    assert len(ends) == 3 and ends == list(range(ends[0], ends[0] + 3)), "no other step between the ends"
    async with engine.connect() as conn:
        moments = set(await conn.scalars(
            text("SELECT handed_over_at FROM deliveries WHERE id = ANY(:ids)"), {"ids": list(mine)}
        ))
    assert len(moments) == 1, "one transaction"


async def test_sends_that_end_together_are_marked_sent_in_one_statement(database):
    _, engine = database
    orders = [await record_link_email(engine, f"{uuid.uuid4().hex[:12]}@example.com") for _ in range(5)]
    ids = {await delivery_id(engine, order) for order in orders}
    async with engine.begin() as conn:
        tries = [d for d in await service.claim_due(SqlUnitOfWork(conn), 100, timedelta(minutes=5)) if d.id in ids]
    assert len(tries) == 5
    stale = tries[0]
    # Another try of the first took it over meanwhile: the old one no longer decides it.
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE deliveries SET attempts = attempts + 1 WHERE id = :id"), {"id": stale.id})
    # The mark and the NotificationSent of all of them: two statements (straight to asyncpg, so
    # counted by the kit's tally rather than seen by SQLAlchemy).
    with tallied("marks") as tally:
        marker = SentMarks(engine)
        await asyncio.gather(*(marker.mark(t) for t in tries))
    assert tally.count == 2
    async with engine.connect() as conn:
        status = dict((await conn.execute(
            text("SELECT id, status FROM deliveries WHERE id = ANY(:ids)"), {"ids": list(ids)})).all())
        announced = set(await conn.scalars(text(
            "SELECT (payload->>'delivery_id')::uuid FROM outbox WHERE payload->>'event_type' = 'NotificationSent' "
            "AND (payload->>'delivery_id')::uuid = ANY(:ids)"), {"ids": list(ids)}))
    assert status == {t.id: "pending" if t is stale else "sent" for t in tries}
    assert announced == {t.id for t in tries[1:]}


async def test_a_pending_delivery_wakes_the_sender_on_commit_and_a_cancelled_one_does_not(database):
    url, engine = database
    heard: list[str] = []
    listener = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await listener.add_listener("deliveries", lambda *args: heard.append(args[2]))
        order = await record_link_email(engine, f"{uuid.uuid4().hex[:12]}@example.com")
        async with asyncio.timeout(10):
            while not heard:
                await asyncio.sleep(0.02)
        assert await statuses(engine, [order]) == ["pending"]
        heard.clear()
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO deliveries (id, account_id, order_id, event_id, template, recipient, locale, subject, "
                "text_body, html_body, status, cancel_reason) VALUES (:id, :a, :o, :e, 'payment_link', "
                "'x@example.com', 'en', 's', 't', 'h', 'cancelled', 'order_cancelled')"
            ), {"id": uuid.uuid4(), "a": uuid.uuid4(), "o": uuid.uuid4(), "e": uuid.uuid4()})
        await asyncio.sleep(0.5)
        assert heard == []
    finally:
        await listener.close()


async def test_a_pass_settles_and_claims_in_one_statement_and_one_that_fails_half_way_changes_nothing(database):
    _, engine = database
    orphan = await delivery_id(engine, await record_link_email(engine, f"{uuid.uuid4().hex[:12]}@example.com"))
    # A sender handed `orphan` over and died: its lease (none here) is over, the server's answer unknown.
    async with engine.begin() as conn:
        [handed] = [d for d in await service.claim_due(SqlUnitOfWork(conn), 100, timedelta(minutes=5))
                    if d.id == orphan]
        assert await service.hand_over(SqlUnitOfWork(conn), [handed], timedelta(0)) == {orphan}
    due = await delivery_id(engine, await record_link_email(engine, f"{uuid.uuid4().hex[:12]}@example.com"))
    async with engine.begin() as conn:  # `due` is the only other row due now that this test cares about
        await conn.execute(text("UPDATE deliveries SET next_attempt_at = now() + interval '1 hour' "
                                "WHERE status = 'pending' AND id <> ALL(:ids)"), {"ids": [orphan, due]})

    async def rows() -> dict[uuid.UUID, tuple]:
        async with engine.connect() as conn:
            found = await conn.execute(text(
                "SELECT id, status, attempts, handed_over_at IS NOT NULL, last_error FROM deliveries "
                "WHERE id = ANY(:ids)"), {"ids": [orphan, due]})
            return {r[0]: tuple(r[1:]) for r in found}

    async def announced() -> int:
        async with engine.connect() as conn:
            return await conn.scalar(text(
                "SELECT count(*) FROM outbox WHERE payload->>'event_type' = 'NotificationSent' "
                "AND (payload->>'delivery_id')::uuid = :d"), {"d": orphan})

    before = await rows()

    # The outbox fails after the statement that settled and claimed: the transaction takes both back.
    async def broken(*events):
        raise RuntimeError("the outbox is unreachable")

    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            uow = SqlUnitOfWork(conn)
            uow.outbox.add = broken
            await service.settle_and_claim(uow, 100, timedelta(minutes=5))
    assert await rows() == before and await announced() == 0

    with tallied("pass") as tally:
        async with engine.begin() as conn:
            claimed = await service.settle_and_claim(SqlUnitOfWork(conn), 100, timedelta(minutes=5))
    assert tally.count == 2  # the settling and the claim; the settled one's NotificationSent
    assert [t.id for t in claimed] == [due] and claimed[0].attempts == 1
    assert await rows() == {orphan: ("sent", 1, True, UNCONFIRMED), due: ("pending", 1, False, None)}
    assert await announced() == 1
    # Nothing left to settle: the next pass is one statement, and claims nothing it already holds.
    with tallied("pass") as tally:
        async with engine.begin() as conn:
            assert await service.settle_and_claim(SqlUnitOfWork(conn), 100, timedelta(minutes=5)) == []
    assert tally.count == 1 and await announced() == 1
