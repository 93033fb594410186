"""Orders from offer opens and payments, on real PostgreSQL, through use cases and the API."""

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from contracts import ContactData, OfferLine, OfferOpened, PaymentSucceeded, PlannedPayment
from orders import main
from orders.main import MIGRATIONS, create_app
from orders.settings import Settings
from servicekit.errors import Rejected
from servicekit.testing import as_account, service_under_test
from sqlalchemy import text


@pytest.fixture(scope="module")
async def client_app(infra):
    async with service_under_test(infra, name="orders", migrations=MIGRATIONS, create_app=create_app,
                                  settings_type=Settings) as running_service:
        yield running_service


def opened(account, email="olena@example.com", total="1500.00", name="Olena") -> OfferOpened:
    return OfferOpened(
        account_id=account, correlation_id=uuid.uuid4(), checkout_id=uuid.uuid4(), offer_id=uuid.uuid4(),
        offer_version=3, offer_title="Standard", school_name="Kyiv Code School", currency="UAH",
        lines=[OfferLine(product_id=uuid.uuid4(), product_title="Python course", price=Decimal(total))],
        discount=Decimal("0"), total=Decimal(total), payment_plan=[PlannedPayment(amount=Decimal(total))],
        provider="sandbox", contact=ContactData(name=name, email=email, phone="+380501234567", locale="uk"),
    )


async def apply(app, handler, event):
    async with app.state.engine.begin() as conn:
        await handler(conn, event)


async def outbox_events(app, topic, order_id):
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM outbox WHERE topic = :t AND payload->>'order_id' = :o ORDER BY id"),
            {"t": topic, "o": str(order_id)},
        )
        return [r.payload for r in rows]


async def order_for(app, checkout_id):
    async with app.state.engine.connect() as conn:
        return await conn.scalar(text("SELECT id FROM orders WHERE checkout_id = :c"), {"c": checkout_id})


async def test_every_open_makes_a_new_numbered_order_for_one_contact(client_app):
    client, app = client_app
    account = uuid.uuid4()
    first, second = opened(account), opened(account, email="Olena@Example.com", name="Olena P.")
    await apply(app, main.on_offer_opened, first)
    await apply(app, main.on_offer_opened, second)
    one = (await client.get("/orders/1", headers=as_account(account))).json()
    two = (await client.get("/orders/2", headers=as_account(account))).json()
    assert one["id"] != two["id"]
    assert one["contact"]["id"] == two["contact"]["id"]  # same person, same contact
    assert one["pipeline"]["name"] == "Sales" and one["stage"]["name"] == "New"
    assert one["payment_status"] == "not_paid" and one["total"] == "1500.00" and one["due"] == "1500.00"
    assert one["lines"][0]["offer"]["title"] == "Standard"
    [created] = await outbox_events(app, "OrderCreated", one["id"])
    assert created["order_number"] == 1 and created["checkout_id"] == str(first.checkout_id)
    assert created["causation_id"] == str(first.event_id)
    assert created["correlation_id"] == str(first.correlation_id)


async def test_the_same_open_delivered_twice_makes_one_order(client_app):
    _, app = client_app
    event = opened(uuid.uuid4())
    await apply(app, main.on_offer_opened, event)
    await apply(app, main.on_offer_opened, event)
    async with app.state.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM orders WHERE account_id = :a"), {"a": event.account_id}) == 1


async def test_a_new_schools_first_visits_at_once_make_one_default_pipeline_and_one_contact(client_app):
    client, app = client_app
    account = uuid.uuid4()
    # The second waits on the first's default pipeline and contact, then uses them as they are.
    await asyncio.gather(apply(app, main.on_offer_opened, opened(account)),
                         apply(app, main.on_offer_opened, opened(account, email="OLENA@example.com",
                                                                    name="Olena P.")))
    cards = [(await client.get(f"/orders/{n}", headers=as_account(account))).json() for n in (1, 2)]
    assert len({card["contact"]["id"] for card in cards}) == 1 and cards[0]["contact"]["name"] in ("Olena", "Olena P.")
    assert {(card["pipeline"]["name"], card["stage"]["name"]) for card in cards} == {("Sales", "New")}
    async with app.state.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM pipelines WHERE account_id = :a"), {"a": account}) == 1
        assert await conn.scalar(text("SELECT count(*) FROM stages WHERE account_id = :a"), {"a": account}) == 5


async def test_payment_marks_order_paid_once_and_moves_it_to_paid_stage(client_app):
    client, app = client_app
    account = uuid.uuid4()
    event = opened(account, total="1000.00")
    await apply(app, main.on_offer_opened, event)
    order_id = await order_for(app, event.checkout_id)
    half = dict(account_id=account, correlation_id=uuid.uuid4(), order_id=order_id, currency="UAH",
                amount=Decimal("500.00"), paid_at=datetime.now(UTC), provider="sandbox")
    first = PaymentSucceeded(payment_id=uuid.uuid4(), **half)
    await apply(app, main.on_payment_succeeded, first)
    card = (await client.get(f"/orders/{order_id}", headers=as_account(account))).json()
    assert card["payment_status"] == "partially_paid" and card["paid"] == "500.00" and card["stage"]["name"] == "New"
    # Another event announcing the same payment is not counted again.
    await apply(app, main.on_payment_succeeded, first.model_copy(update={"event_id": uuid.uuid4()}))
    await apply(app, main.on_payment_succeeded, PaymentSucceeded(payment_id=uuid.uuid4(), **half))
    card = (await client.get(f"/orders/{order_id}", headers=as_account(account))).json()
    assert card["payment_status"] == "paid" and card["paid"] == "1000.00" and card["due"] == "0.00"
    assert card["stage"]["name"] == "Paid" and card["paid_at"]
    assert [h["kind"] for h in card["history"]] == ["created", "payment_received", "payment_received"]


async def test_payment_for_another_school_or_currency_is_rejected(client_app):
    _, app = client_app
    event = opened(uuid.uuid4())
    await apply(app, main.on_offer_opened, event)
    order_id = await order_for(app, event.checkout_id)
    base = dict(correlation_id=uuid.uuid4(), order_id=order_id, payment_id=uuid.uuid4(), amount=Decimal("1.00"),
                paid_at=datetime.now(UTC))
    with pytest.raises(Rejected):
        await apply(app, main.on_payment_succeeded, PaymentSucceeded(account_id=uuid.uuid4(), currency="UAH", **base))
    with pytest.raises(Rejected):
        await apply(app, main.on_payment_succeeded, PaymentSucceeded(account_id=event.account_id, currency="USD", **base))


async def test_list_search_and_pages(client_app):
    client, app = client_app
    account = uuid.uuid4()
    for n in range(5):
        await apply(app, main.on_offer_opened, opened(account, email=f"p{n}@example.com", name=f"Person {n}"))
    page = (await client.get("/orders", params={"limit": 2}, headers=as_account(account))).json()
    assert [o["number"] for o in page["items"]] == [5, 4]
    rest = (await client.get("/orders", params={"limit": 10, "cursor": page["next_cursor"]}, headers=as_account(account))).json()
    assert [o["number"] for o in rest["items"]] == [3, 2, 1] and rest["next_cursor"] is None
    found = (await client.get("/orders", params={"q": "P3@example.com"}, headers=as_account(account))).json()
    assert [o["number"] for o in found["items"]] == [4]
    by_number = (await client.get("/orders", params={"q": "2"}, headers=as_account(account))).json()["items"]
    assert {o["number"] for o in by_number} == {2, 3}  # order 2, and "Person 2" who has order 3
    bad = await client.get("/orders", params={"cursor": "nonsense"}, headers=as_account(account))
    assert bad.status_code == 422
    contact_id = found["items"][0]["contact"]["id"]
    mine = (await client.get(f"/contacts/{contact_id}/orders", headers=as_account(account))).json()
    assert [o["number"] for o in mine["items"]] == [4]
    bad = await client.get(f"/contacts/{contact_id}/orders", params={"cursor": "x"}, headers=as_account(account))
    assert bad.status_code == 422
    pipelines = (await client.get("/pipelines", headers=as_account(account))).json()["items"]
    assert [s["name"] for s in pipelines[0]["stages"]][0] == "New"


async def test_another_school_sees_none_of_it(client_app):
    client, app = client_app
    event = opened(uuid.uuid4())
    await apply(app, main.on_offer_opened, event)
    order_id = await order_for(app, event.checkout_id)
    stranger = as_account(uuid.uuid4())
    assert (await client.get(f"/orders/{order_id}", headers=stranger)).status_code == 404
    assert (await client.get("/orders/1", headers=stranger)).status_code == 404
    assert (await client.get("/orders", headers=stranger)).json()["items"] == []
    card = (await client.get(f"/orders/{order_id}", headers=as_account(event.account_id))).json()
    assert (await client.get(f"/contacts/{card['contact']['id']}", headers=stranger)).status_code == 404
    assert (await client.get("/orders", headers={})).status_code == 401
