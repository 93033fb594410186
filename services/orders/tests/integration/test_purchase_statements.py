"""A purchase's messages in few statements, on real PostgreSQL: a visit reads what the school has for
it at once, then writes the order with its contact and the school's profile in one statement, then
its events; a payment loads the order once and saves its row, lines and history in one statement."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from contracts import ContactData, OfferLine, OfferOpened, PaymentSucceeded, PlannedPayment, utcnow
from orders import main
from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.order import StaleVersion
from orders.domain.pipeline import Intake
from orders.main import MIGRATIONS, create_app
from orders.settings import Settings
from servicekit.statements import tallied
from servicekit.testing import as_account, service_under_test
from sqlalchemy import text


@pytest.fixture(scope="module")
async def client_app(infra):
    async with service_under_test(infra, name="orders", migrations=MIGRATIONS, create_app=create_app,
                                  settings_type=Settings) as running_service:
        yield running_service


def opened(account, email="olena@example.com", name="Olena", phone=None, locale=None) -> OfferOpened:
    return OfferOpened(
        account_id=account, correlation_id=uuid.uuid4(), checkout_id=uuid.uuid4(), offer_id=uuid.uuid4(),
        offer_version=3, offer_title="Standard", school_name="Kyiv Code School", school_locale="uk", currency="UAH",
        lines=[OfferLine(product_id=uuid.uuid4(), product_title="Python course", price=Decimal("1500.00"))],
        discount=Decimal("0"), total=Decimal("1500.00"), payment_plan=[PlannedPayment(amount=Decimal("1500.00"))],
        provider="sandbox", contact=ContactData(name=name, email=email, phone=phone, locale=locale),
    )


async def visited(app, event: OfferOpened) -> int:
    """The visit applied as its consumer applies it; the statements it sent."""
    async with app.state.engine.begin() as conn:
        with tallied("test") as tally:
            await main.on_offer_opened(conn, event)
    return tally.count


async def an_order(app) -> tuple[uuid.UUID, uuid.UUID]:
    """A new school's order made by a visit: the school and the order."""
    account = uuid.uuid4()
    event = opened(account)
    await visited(app, event)
    [(order_id,)] = await rows(app, "SELECT id FROM orders WHERE checkout_id = :c", c=event.checkout_id)
    return account, order_id


def paying(account: uuid.UUID, order_id: uuid.UUID, amount: str) -> dict:
    """What a PaymentSucceeded for `amount` of the order says, but its payment id."""
    return dict(account_id=account, correlation_id=uuid.uuid4(), order_id=order_id, currency="UAH",
                amount=Decimal(amount), paid_at=datetime(2026, 12, 1, 12, tzinfo=UTC), provider="sandbox")


async def rows(app, sql: str, **params):
    async with app.state.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).all()


async def test_a_new_schools_first_visit_and_a_new_contacts_visit(client_app):
    _, app = client_app
    account = uuid.uuid4()
    # The first visit of a school also makes its default funnel.
    await visited(app, opened(account, email="first@example.com"))
    event = opened(account, phone="+380501234567", locale="uk")
    assert await visited(app, event) == 3  # what the school has, the order with its contact, the events
    [(number, name, email, phone, locale)] = await rows(
        app, "SELECT o.number, c.name, c.email, c.phone, c.locale FROM orders o JOIN contacts c ON c.id = o.contact_id"
             " WHERE o.checkout_id = :c", c=event.checkout_id)
    assert (number, name, email, phone, locale) == (2, "Olena", "olena@example.com", "+380501234567", "uk")
    [(lines, kinds)] = await rows(
        app, "SELECT (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id),"
             " (SELECT array_agg(h.kind) FROM order_history h WHERE h.order_id = o.id)"
             " FROM orders o WHERE o.checkout_id = :c", c=event.checkout_id)
    assert (lines, kinds) == (1, ["created"])
    assert await rows(app, "SELECT name, locale FROM schools WHERE account_id = :a", a=account) == [
        ("Kyiv Code School", "uk")]


async def test_a_returning_contact_is_found_by_the_visit_and_only_given_what_it_lacks(client_app):
    _, app = client_app
    account = uuid.uuid4()
    await visited(app, opened(account, email="Olena@Example.com", name="Olena"))
    [(contact_id, email, updated_before)] = await rows(
        app, "SELECT id, email, updated_at FROM contacts WHERE account_id = :a", a=account)
    # Another case of the email, another name: the same contact, its name kept, its phone filled.
    again = opened(account, email="OLENA@example.com", name="Olena P.", phone="+380501234567", locale="en")
    assert await visited(app, again) == 3
    # A third visit brings another phone: the contact keeps the one it has.
    third = opened(account, email="olena@example.com", phone="+380671112233", locale="uk")
    assert await visited(app, third) == 3
    assert await rows(app, "SELECT id, name, email, phone, locale FROM contacts WHERE account_id = :a", a=account) == [
        (contact_id, "Olena", email, "+380501234567", "en")]  # the email as the first visit gave it
    [(updated_after,)] = await rows(app, "SELECT updated_at FROM contacts WHERE id = :c", c=contact_id)
    assert updated_after > updated_before  # a visit counts as an update of the contact, even one adding nothing
    orders = await rows(app, "SELECT number, contact_id FROM orders WHERE account_id = :a ORDER BY number", a=account)
    assert orders == [(1, contact_id), (2, contact_id), (3, contact_id)]


async def test_a_checkout_delivered_again_takes_no_number_and_writes_nothing(client_app):
    _, app = client_app
    account = uuid.uuid4()
    event = opened(account)
    await visited(app, event)
    assert await visited(app, event.model_copy(update={"event_id": uuid.uuid4()})) == 1  # only the read
    await visited(app, opened(account, email="taras@example.com"))
    assert await rows(app, "SELECT number FROM orders WHERE account_id = :a ORDER BY number", a=account) == [(1,), (2,)]


async def test_an_intake_whose_new_contact_was_taken_meanwhile_writes_nothing(client_app):
    _, app = client_app
    account = uuid.uuid4()
    await visited(app, opened(account, email="olena@example.com"))
    # As a visit that read before a concurrent one committed the same email: it found no contact.
    event = opened(account, email="OLENA@example.com", phone="+380501234567")
    async with app.state.engine.begin() as conn:
        uow = SqlUnitOfWork(conn)
        visit = await uow.orders.visit(account, event.checkout_id, "someone.else@example.com")
        default = visit.default
        assert default is not None and visit.contact is None
        intake, _ = Intake.of_visit(event, visit, default=default, order_id=uuid.uuid4(), new_contact_id=uuid.uuid4())
        assert intake.contact.email == "OLENA@example.com"
        assert await uow.orders.intake(intake) is False
        assert await conn.scalar(text("SELECT count(*) FROM orders WHERE checkout_id = :c"),
                                 {"c": event.checkout_id}) == 0
        assert await conn.scalar(text("SELECT count(*) FROM order_history WHERE order_id = :o"),
                                 {"o": intake.order.id}) == 0
        assert await conn.scalar(text("SELECT count(*) FROM order_lines WHERE order_id = :o"),
                                 {"o": intake.order.id}) == 0
        assert await conn.scalar(text("SELECT phone FROM contacts WHERE account_id = :a"), {"a": account}) is None


async def paid(app, event) -> int:
    async with app.state.engine.begin() as conn:
        with tallied("test") as tally:
            await main.on_payment_succeeded(conn, event)
    return tally.count


async def test_a_partial_then_full_payment_save_the_order_its_lines_and_history_in_one_statement(client_app):
    client, app = client_app
    account, order_id = await an_order(app)
    half = paying(account, order_id, "750.00")
    # The load, the save of the row, the payment, the history and the line's window; the events.
    assert await paid(app, PaymentSucceeded(payment_id=uuid.uuid4(), **half)) == 3
    [(status, paid_sum, version, window)] = await rows(
        app, "SELECT o.payment_status, o.paid, o.version, l.window_status FROM orders o"
             " JOIN order_lines l ON l.order_id = o.id WHERE o.id = :o", o=order_id)
    assert (status, paid_sum, version, window) == ("partially_paid", Decimal("750.0000"), 2, "open")
    assert await paid(app, PaymentSucceeded(payment_id=uuid.uuid4(), **half)) == 3
    card = (await client.get(f"/orders/{order_id}", headers=as_account(account))).json()
    assert (card["payment_status"], card["paid"], card["stage"]["name"]) == ("paid", "1500.00", "Paid")
    assert card["lines"][0]["window"]["status"] == "open" and card["version"] == 3
    assert [h["kind"] for h in card["history"]] == ["created", "payment_received", "payment_received"]
    assert len(await rows(app, "SELECT 1 FROM order_payments WHERE order_id = :o", o=order_id)) == 2


async def test_a_save_of_a_version_another_transaction_moved_on_writes_nothing_and_names_the_current_one(client_app):
    _, app = client_app
    account, order_id = await an_order(app)
    payment = paying(account, order_id, "100.00")
    async with app.state.engine.begin() as conn:
        uow = SqlUnitOfWork(conn)
        order = await uow.orders.load(account, order_id, for_update=False)
        assert order is not None
        await paid(app, PaymentSucceeded(payment_id=uuid.uuid4(), **payment))  # version 2, committed meanwhile
        order.record_payment_succeeded(PaymentSucceeded(payment_id=uuid.uuid4(), **payment), utcnow())
        with pytest.raises(StaleVersion) as refused:
            await uow.orders.save(order)
        assert refused.value.current == 2
    assert len(await rows(app, "SELECT 1 FROM order_payments WHERE order_id = :o", o=order_id)) == 1
    assert [kind for (kind,) in await rows(app, "SELECT kind FROM order_history WHERE order_id = :o ORDER BY id",
                                           o=order_id)] == ["created", "payment_received"]
