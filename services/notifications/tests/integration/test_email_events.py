"""An email's event on real PostgreSQL: the order read with what the event keeps (the payment's
link, the line's access state) in one statement, the email recorded in one more, once per event."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from contracts import AccessChanged, ContactData, OrderCreated, OrderLine, PaymentLinkIssued, ReminderRequested
from notifications import service
from notifications.adapters.unit_of_work import SqlUnitOfWork
from notifications.main import MIGRATIONS
from servicekit.errors import NotYet
from servicekit.statements import tallied
from servicekit.testing import migrated_database
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


@pytest.fixture(scope="module")
async def engine(infra):
    engine = create_async_engine(await migrated_database(infra, "notifications", MIGRATIONS))
    yield engine
    await engine.dispose()


def an_order() -> OrderCreated:
    line = OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Python course", price="1547.36")
    return OrderCreated(
        account_id=uuid.uuid4(), correlation_id=uuid.uuid4(), order_id=uuid.uuid4(), order_number=1042,
        school_name="Kyiv Code School", contact_id=uuid.uuid4(),
        contact=ContactData(name="Olena", email=f"{uuid.uuid4().hex[:12]}@example.com", locale="en"),
        currency="UAH", lines=[line], discount="0", total="1547.36", payment_plan=[], provider="sandbox",
    )


def a_reminder(order: OrderCreated) -> ReminderRequested:
    payment_id = uuid.uuid4()
    return ReminderRequested.caused_by(
        order, order_id=order.order_id, payment_id=payment_id, amount="500.00", currency="UAH",
        url=f"https://pay.example/p/{payment_id}", due_at=datetime.now(UTC) - timedelta(days=2),
    )


def suspended(order: OrderCreated, payment_id: uuid.UUID) -> AccessChanged:
    """Suspended for an overdue payment, with its amount: what lets the letter offer the payment's link."""
    line = order.lines[0]
    return AccessChanged.caused_by(
        order, order_id=order.order_id, line_id=line.line_id, product_id=line.product_id,
        product_title=line.product_title, contact_id=order.contact_id, status="suspended", reason="overdue",
        overdue_payment_id=payment_id, overdue_amount="500.00", currency="UAH",
    )


async def apply(engine, use_case, event) -> int:
    """The event through its use case in a transaction of its own; the statements it sent."""
    async with engine.begin() as conn:
        with tallied("test") as tally:
            await use_case(SqlUnitOfWork(conn), event)
    return tally.count


async def deliveries(engine, order_id: uuid.UUID) -> list:
    async with engine.connect() as conn:
        return list(await conn.execute(text(
            "SELECT template, text_body FROM deliveries WHERE order_id = :o ORDER BY created_at"), {"o": order_id}))


async def test_a_reminder_keeps_its_link_with_the_orders_read_and_a_suspension_offers_it(engine):
    order = an_order()
    await apply(engine, service.on_order_created, order)
    reminder = a_reminder(order)
    assert await apply(engine, service.on_reminder_requested, reminder) == 2  # the order and its link; the email
    # Redelivered past the inbox: the link is kept as it was, and still one email.
    assert await apply(engine, service.on_reminder_requested, reminder) == 2
    access = suspended(order, reminder.payment_id)
    # The order, the line's state and the overdue payment's link in one; the email in the other.
    assert await apply(engine, service.on_access_changed, access) == 2
    # Redelivered: the line is suspended already, so no change of state and no email to record.
    assert await apply(engine, service.on_access_changed, access) == 1
    rows = await deliveries(engine, order.order_id)
    assert [r.template for r in rows] == ["reminder", "access_suspended"]
    assert reminder.url in rows[1].text_body
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT url FROM payment_links WHERE payment_id = :p"),
                                 {"p": reminder.payment_id}) == reminder.url
        assert await conn.scalar(text("SELECT status FROM access_states WHERE order_id = :o"),
                                 {"o": order.order_id}) == "suspended"


async def test_a_link_email_keeps_its_link_in_the_statement_that_takes_the_order(engine):
    order = an_order()
    await apply(engine, service.on_order_created, order)
    link = PaymentLinkIssued.caused_by(
        order, order_id=order.order_id, payment_id=uuid.uuid4(), amount="1547.36", currency="UAH",
        provider="sandbox", url="https://pay.example/p/link",
    )
    assert await apply(engine, service.on_payment_link_issued, link) == 2
    assert await apply(engine, service.on_payment_link_issued, link) == 2
    assert [r.template for r in await deliveries(engine, order.order_id)] == ["payment_link"]
    await apply(engine, service.on_access_changed, suspended(order, link.payment_id))
    assert "https://pay.example/p/link" in (await deliveries(engine, order.order_id))[1].text_body


async def test_an_event_whose_order_is_not_here_yet_keeps_nothing(engine):
    order = an_order()  # never applied
    reminder = a_reminder(order)
    link = PaymentLinkIssued.caused_by(
        order, order_id=order.order_id, payment_id=uuid.uuid4(), amount="1547.36", currency="UAH",
        provider="sandbox", url="https://pay.example/p/early",
    )
    async with engine.connect() as conn:
        await conn.begin()
        for use_case, event in ((service.on_reminder_requested, reminder), (service.on_payment_link_issued, link),
                                (service.on_access_changed, suspended(order, reminder.payment_id))):
            with pytest.raises(NotYet):
                await use_case(SqlUnitOfWork(conn), event)
        # Even before the consumer rolls the event back, nothing of it was stored.
        assert await conn.scalar(text("SELECT count(*) FROM payment_links WHERE order_id = :o"),
                                 {"o": order.order_id}) == 0
        assert await conn.scalar(text("SELECT count(*) FROM access_states WHERE order_id = :o"),
                                 {"o": order.order_id}) == 0
        await conn.rollback()
    await apply(engine, service.on_order_created, order)
    await apply(engine, service.on_reminder_requested, reminder)
    assert [r.template for r in await deliveries(engine, order.order_id)] == ["reminder"]


async def test_a_manual_order_confirmed_at_once_reads_its_school_and_wording_as_it_is_saved(engine):
    from contracts import SchoolUpdated
    from notifications.adapters import repository
    from notifications.domain.letters import Override

    order = an_order().model_copy(update={"send_confirmation": True})  # nothing to pay by link: at once
    await apply(engine, service.on_school_updated, SchoolUpdated(
        account_id=order.account_id, correlation_id=uuid.uuid4(), name="Kyiv Code School Now", default_locale="en"))
    async with engine.begin() as conn:
        await repository.put_override(conn, order.account_id, "order_confirmation", "en", Override(
            subject="Order {{ order_number }} is confirmed", html="<p>Thank you</p>", text="Thank you"))
    # The order saved with its school and wording read; the email. A redelivery records no second one.
    assert await apply(engine, service.on_order_created, order) == 2
    assert await apply(engine, service.on_order_created, order) == 2
    async with engine.connect() as conn:
        rows = list(await conn.execute(text(
            "SELECT template, subject, sender_name FROM deliveries WHERE order_id = :o"), {"o": order.order_id}))
        assert await conn.scalar(text("SELECT order_number FROM order_recipients WHERE order_id = :o"),
                                 {"o": order.order_id}) == 1042
    assert [tuple(r) for r in rows] == [("order_confirmation", "Order 1042 is confirmed", "Kyiv Code School Now")]
