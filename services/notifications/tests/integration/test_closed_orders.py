"""Emails asking to pay for an order that closes: on real PostgreSQL, the consumers' use cases called directly."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from contracts import (
    ContactData, OrderCreated, OrderLine, OrderUpdated, PaymentLinkIssued, PaymentSucceeded, ReminderRequested,
)
from notifications import service
from notifications.adapters.unit_of_work import SqlUnitOfWork
from notifications.main import MIGRATIONS
from servicekit.testing import migrated_database
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


@pytest.fixture(scope="module")
async def engine(infra):
    engine = create_async_engine(await migrated_database(infra, "notifications", MIGRATIONS))
    yield engine
    await engine.dispose()


def an_order() -> OrderCreated:
    to = f"{uuid.uuid4().hex[:12]}@example.com"
    return OrderCreated(
        account_id=uuid.uuid4(), correlation_id=uuid.uuid4(), order_id=uuid.uuid4(), order_number=9,
        school_name="School", contact_id=uuid.uuid4(), contact=ContactData(name="Ivan", email=to), currency="EUR",
        lines=[OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Course", price="99.00")],
        discount="0", total="99.00", payment_plan=[], provider="sandbox",
    )


def updated(order: OrderCreated, version: int, status: str) -> OrderUpdated:
    return OrderUpdated.caused_by(
        order, order_id=order.order_id, order_number=order.order_number, order_version=version, status=status,
        contact_id=order.contact_id, contact=order.contact, currency="EUR", lines=order.lines, discount="0",
        total="99.00", changed=["status"],
    )


def a_link(order: OrderCreated) -> PaymentLinkIssued:
    return PaymentLinkIssued.caused_by(
        order, order_id=order.order_id, payment_id=uuid.uuid4(), amount="99.00", currency="EUR",
        provider="sandbox", url=f"https://pay.example/p/{uuid.uuid4()}",
    )


def a_reminder(order: OrderCreated) -> ReminderRequested:
    return ReminderRequested.caused_by(
        order, order_id=order.order_id, payment_id=uuid.uuid4(), amount="99.00", currency="EUR",
        url="https://pay.example/p/r", due_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def a_receipt(order: OrderCreated) -> PaymentSucceeded:
    return PaymentSucceeded.caused_by(
        order, order_id=order.order_id, payment_id=uuid.uuid4(), amount="99.00", currency="EUR",
        method="cash", paid_at=datetime(2026, 11, 2, tzinfo=UTC), marked_by="Maria from the front desk",
    )


async def apply(engine, handler, *events) -> None:
    for event in events:
        async with engine.begin() as conn:
            await handler(SqlUnitOfWork(conn), event)


async def log(engine, order_id: uuid.UUID) -> dict[str, tuple[str, str | None]]:
    """template -> (status, cancel_reason); one delivery per template in these tests."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT template, status, cancel_reason FROM deliveries WHERE order_id = :o"), {"o": order_id})
        return {r.template: (r.status, r.cancel_reason) for r in rows}


async def claimable(engine, order_id: uuid.UUID) -> set[str]:
    """What a sender would take of this order now (taken for real: these tests run no sender)."""
    async with engine.begin() as conn:
        claimed = {d.id for d in await service.claim_due(SqlUnitOfWork(conn), 1000, timedelta(minutes=5))}
        rows = await conn.execute(text("SELECT id, template FROM deliveries WHERE order_id = :o"), {"o": order_id})
        return {r.template for r in rows if r.id in claimed}


@pytest.mark.parametrize("status", ["cancelled", "expired"])
async def test_closing_an_order_cancels_its_unsent_links_and_reminders_only(engine, status):
    order = an_order()
    await apply(engine, service.on_order_created, order)
    await apply(engine, service.on_payment_link_issued, a_link(order))
    await apply(engine, service.on_reminder_requested, a_reminder(order))
    await apply(engine, service.on_payment_succeeded, a_receipt(order))
    assert {s for s, _ in (await log(engine, order.order_id)).values()} == {"pending"}

    await apply(engine, service.on_order_updated, updated(order, 2, status))
    reason = f"order_{status}"
    assert await log(engine, order.order_id) == {
        "payment_link": ("cancelled", reason), "reminder": ("cancelled", reason), "receipt": ("pending", None),
    }
    assert await claimable(engine, order.order_id) == {"receipt"}


async def test_links_and_reminders_after_the_close_are_logged_as_cancelled_and_a_reopened_order_sends_again(engine):
    order = an_order()
    await apply(engine, service.on_order_created, order)
    await apply(engine, service.on_order_updated, updated(order, 2, "cancelled"))
    await apply(engine, service.on_payment_link_issued, a_link(order))
    await apply(engine, service.on_reminder_requested, a_reminder(order))
    await apply(engine, service.on_payment_succeeded, a_receipt(order))
    assert await log(engine, order.order_id) == {
        "payment_link": ("cancelled", "order_cancelled"), "reminder": ("cancelled", "order_cancelled"),
        "receipt": ("pending", None),
    }
    assert await claimable(engine, order.order_id) == {"receipt"}

    # An older version arriving late does not reopen it.
    await apply(engine, service.on_order_updated, updated(order, 1, "active"))
    late = a_link(order)
    await apply(engine, service.on_payment_link_issued, late)
    async with engine.connect() as conn:
        status = await conn.scalar(text("SELECT status FROM deliveries WHERE event_id = :e"), {"e": late.event_id})
    assert status == "cancelled"

    await apply(engine, service.on_order_updated, updated(order, 3, "active"))
    again = a_link(order)
    await apply(engine, service.on_payment_link_issued, again)
    async with engine.connect() as conn:
        row = (await conn.execute(text("SELECT status, cancel_reason FROM deliveries WHERE event_id = :e"),
                                  {"e": again.event_id})).one()
    assert (row.status, row.cancel_reason) == ("pending", None)
    assert await claimable(engine, order.order_id) == {"payment_link"}


async def test_an_order_closing_while_a_link_is_being_recorded_waits_for_it_and_cancels_it(engine):
    order = an_order()
    await apply(engine, service.on_order_created, order)
    link = a_link(order)
    async with engine.connect() as recording:
        await recording.begin()
        await service.on_payment_link_issued(SqlUnitOfWork(recording), link)
        closing = asyncio.create_task(apply(engine, service.on_order_updated, updated(order, 2, "cancelled")))
        await asyncio.sleep(0.5)
        assert not closing.done(), "the close must wait for the email being recorded"
        await recording.commit()
    await asyncio.wait_for(closing, 10)
    assert await log(engine, order.order_id) == {"payment_link": ("cancelled", "order_cancelled")}


async def test_an_email_already_with_the_mail_server_when_the_order_closes_is_logged_as_sent(engine):
    order = an_order()
    await apply(engine, service.on_order_created, order)
    await apply(engine, service.on_payment_link_issued, a_link(order))
    async with engine.begin() as conn:
        [taken] = [d for d in await service.claim_due(SqlUnitOfWork(conn), 1000, timedelta(minutes=5))
                   if d.recipient == order.contact.email]
        assert await service.hand_over(SqlUnitOfWork(conn), [taken], timedelta(minutes=5)) == {taken.id}
    await apply(engine, service.on_order_updated, updated(order, 2, "cancelled"))
    assert await log(engine, order.order_id) == {"payment_link": ("cancelled", "order_cancelled")}
    # The mail server said OK: the log tells the truth, and the order's history hears of it.
    async with engine.begin() as conn:
        await service.record_sent(SqlUnitOfWork(conn), taken)
    assert await log(engine, order.order_id) == {"payment_link": ("sent", None)}
    async with engine.connect() as conn:
        topics = (await conn.scalars(text("SELECT topic FROM outbox WHERE payload->>'delivery_id' = :d"),
                                     {"d": str(taken.id)})).all()
    assert topics == ["NotificationSent"]


async def test_a_claimed_email_cancelled_before_its_handover_is_not_sent(engine):
    order = an_order()
    await apply(engine, service.on_order_created, order)
    await apply(engine, service.on_payment_link_issued, a_link(order))
    async with engine.begin() as conn:
        [taken] = [d for d in await service.claim_due(SqlUnitOfWork(conn), 1000, timedelta(minutes=5))
                   if d.recipient == order.contact.email]
    await apply(engine, service.on_order_updated, updated(order, 2, "cancelled"))
    # The sender is still before the end of the message: it is told to withdraw it.
    async with engine.begin() as conn:
        assert await service.hand_over(SqlUnitOfWork(conn), [taken], timedelta(minutes=5)) == set()
    assert await log(engine, order.order_id) == {"payment_link": ("cancelled", "order_cancelled")}


async def test_a_failed_try_of_a_cancelled_email_is_not_retried(engine):
    from notifications.domain.delivery import RetryPolicy

    order = an_order()
    await apply(engine, service.on_order_created, order)
    await apply(engine, service.on_payment_link_issued, a_link(order))
    async with engine.begin() as conn:
        [taken] = [d for d in await service.claim_due(SqlUnitOfWork(conn), 1000, timedelta(minutes=5))
                   if d.recipient == order.contact.email]
    await apply(engine, service.on_order_updated, updated(order, 2, "expired"))
    async with engine.begin() as conn:
        await service.record_failure(SqlUnitOfWork(conn), taken, "451 try later", permanent=False,
                                     policy=RetryPolicy(first=0))
    assert await log(engine, order.order_id) == {"payment_link": ("cancelled", "order_expired")}
    assert await claimable(engine, order.order_id) == set()
