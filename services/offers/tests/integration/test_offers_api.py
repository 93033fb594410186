"""Offers service on real PostgreSQL and the real broker, through its HTTP API."""

import asyncio
import contextlib
import uuid

import pytest
from contracts import OrderCreated, PaymentLinkIssued, ContactData
from offers import service
from offers.adapters.checkout_notices import watch_checkout
from offers.adapters.unit_of_work import SqlUnitOfWork
from offers.main import MIGRATIONS, create_app
from offers.settings import Settings
from servicekit.testing import as_account, service_under_test
from sqlalchemy import text


@pytest.fixture(scope="module")
async def client_app(infra):
    async with service_under_test(infra, name="offers", migrations=MIGRATIONS, create_app=create_app,
                                  settings_type=Settings) as running_service:
        yield running_service


async def make_offer(client, account, price="1500.00", currency="UAH", discount="0"):
    product = (await client.post("/products", json={"title": "Python course"}, headers=as_account(account))).json()
    response = await client.post(
        "/offers",
        json={"title": "Standard", "currency": currency, "items": [{"product_id": product["id"], "price": price}],
              "discount": discount},
        headers=as_account(account),
    )
    return response


async def test_open_offer_records_checkout_and_emits_offer_opened(client_app):
    client, app = client_app
    account = uuid.uuid4()
    school = await client.put("/school", json={"name": "Kyiv Code School", "default_locale": "uk_UA.UTF-8"},
                              headers=as_account(account))
    assert school.json()["default_locale"] == "uk"
    offer = (await make_offer(client, account, price="1547.36", discount="47.36")).json()
    assert offer["total"] == "1500.00"
    # What a widget reading navigator.language sends: a BCP 47 tag, kept as its language.
    opened = await client.post(
        f"/public/offers/{offer['id']}/checkouts",
        json={"name": "Olena", "email": "olena@example.com", "phone": "+380 50 123 4567", "locale": "uk-UA"},
    )
    assert opened.status_code == 202, opened.text
    checkout_id = opened.json()["checkout_id"]
    assert opened.json()["status_url"].endswith(f"/public/v1/checkouts/{checkout_id}")
    status = (await client.get(f"/public/checkouts/{checkout_id}")).json()
    assert status == {"status": "pending", "order_number": None, "payment_url": None}
    async with app.state.engine.connect() as conn:
        row = (await conn.execute(
            text("SELECT payload FROM outbox WHERE topic = 'OfferOpened' AND payload->>'checkout_id' = :c"),
            {"c": checkout_id},
        )).one()
    event = row.payload
    assert event["school_name"] == "Kyiv Code School"
    assert event["total"] == "1500.00" and event["currency"] == "UAH"
    assert event["contact"]["phone"] == "+380501234567" and event["contact"]["locale"] == "uk"
    assert event["school_locale"] == "uk"
    refused = await client.post(f"/public/offers/{offer['id']}/checkouts",
                                json={"name": "Olena", "email": "olena@example.com", "locale": "ukrainian"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "locale"
    assert event["lines"][0]["price"] == "1547.36"


async def test_checkout_becomes_ready_when_order_and_link_arrive(client_app):
    client, app = client_app
    account = uuid.uuid4()
    offer = (await make_offer(client, account)).json()
    checkout_id = (await client.post(f"/public/offers/{offer['id']}/checkouts",
                                     json={"name": "Ivan", "email": "ivan@example.com"})).json()["checkout_id"]
    order_id = uuid.uuid4()
    common = dict(account_id=account, correlation_id=uuid.uuid4())
    async with app.state.engine.begin() as conn:
        await service.on_order_created(SqlUnitOfWork(conn), OrderCreated(
            **common, order_id=order_id, order_number=7, checkout_id=checkout_id, school_name="S",
            contact_id=uuid.uuid4(), contact=ContactData(name="Ivan", email="ivan@example.com"), currency="UAH",
            lines=[], discount="0", total="1500.00", payment_plan=[], provider="sandbox"))
        await service.on_payment_link_issued(SqlUnitOfWork(conn), PaymentLinkIssued(
            **common, order_id=order_id, payment_id=uuid.uuid4(), checkout_id=checkout_id, amount="1500.00",
            currency="UAH", provider="sandbox", url="http://pay.example/1"))
    status = (await client.get(f"/public/checkouts/{checkout_id}")).json()
    assert status == {"status": "ready", "order_number": 7, "payment_url": "http://pay.example/1"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "A"}, "email"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "", "email": "a@example.com"}, "name"),
        ({"name": "A", "email": "a@example.com", "phone": "12"}, "phone"),
        ({"name": "A", "email": "a@example.com", "surprise": 1}, "surprise"),
    ],
)
async def test_bad_open_request_is_a_problem_and_creates_nothing(client_app, body, field):
    client, app = client_app
    account = uuid.uuid4()
    offer = (await make_offer(client, account)).json()
    response = await client.post(f"/public/offers/{offer['id']}/checkouts", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in response.json()["errors"]}
    async with app.state.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM checkouts WHERE offer_id = :o"), {"o": offer["id"]}) == 0


async def test_unknown_offer_cannot_be_opened(client_app):
    client, _ = client_app
    response = await client.post(f"/public/offers/{uuid.uuid4()}/checkouts", json={"name": "A", "email": "a@example.com"})
    assert response.status_code == 404
    assert response.json()["title"] == "Offer not available"


@pytest.mark.parametrize(
    "price, currency, discount, field",
    [("-1.00", "UAH", "0", "items.0.price"), ("10.00", "XYZ", "0", "currency"),
     ("10.00", "UAH", "11.00", "discount"), ("10.001", "UAH", "0", "items.0.price")],
)
async def test_invalid_offers_are_refused(client_app, price, currency, discount, field):
    client, _ = client_app
    response = await make_offer(client, uuid.uuid4(), price=price, currency=currency, discount=discount)
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}


async def test_another_school_sees_nothing(client_app):
    client, _ = client_app
    offer = (await make_offer(client, uuid.uuid4())).json()
    assert (await client.get(f"/offers/{offer['id']}", headers=as_account(uuid.uuid4()))).status_code == 404
    assert (await client.get("/offers", headers=as_account(uuid.uuid4()))).json() == {"items": []}


async def test_public_offer_view_shows_prices_only(client_app):
    client, _ = client_app
    account = uuid.uuid4()
    await client.put("/school", json={"name": "Lviv Design School"}, headers=as_account(account))
    offer = (await make_offer(client, account, price="200.00", discount="20.00")).json()
    view = (await client.get(f"/public/offers/{offer['id']}")).json()
    assert view["school_name"] == "Lviv Design School" and view["total"] == "180.00"
    assert set(view) == {"id", "title", "school_name", "currency", "items", "discount", "total"}
    assert (await client.get(f"/public/offers/{uuid.uuid4()}")).status_code == 404


async def test_status_request_can_wait_for_the_link(client_app):
    client, app = client_app
    account = uuid.uuid4()
    offer = (await make_offer(client, account)).json()
    checkout_id = (await client.post(f"/public/offers/{offer['id']}/checkouts",
                                     json={"name": "Ivan", "email": "ivan@example.com"})).json()["checkout_id"]
    order_id = uuid.uuid4()
    async with app.state.engine.begin() as conn:
        await service.on_order_created(SqlUnitOfWork(conn), OrderCreated(
            account_id=account, correlation_id=uuid.uuid4(), order_id=order_id, order_number=3,
            checkout_id=checkout_id, school_name="S", contact_id=uuid.uuid4(),
            contact=ContactData(name="Ivan", email="ivan@example.com"), currency="UAH", lines=[], discount="0",
            total="1500.00", payment_plan=[], provider="sandbox"))
    waiting = asyncio.create_task(client.get(f"/public/checkouts/{checkout_id}", params={"wait": 5}))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    async with app.state.engine.begin() as conn:
        await service.on_payment_link_issued(SqlUnitOfWork(conn), PaymentLinkIssued(
            account_id=account, correlation_id=uuid.uuid4(), order_id=order_id, payment_id=uuid.uuid4(),
            checkout_id=checkout_id, amount="1500.00", currency="UAH", provider="sandbox", url="http://pay.example/2"))
    started = asyncio.get_running_loop().time()
    status = (await asyncio.wait_for(waiting, 5)).json()
    assert status["status"] == "ready" and status["payment_url"] == "http://pay.example/2"
    assert asyncio.get_running_loop().time() - started < 2  # woken, not timed out
    # A pending checkout answers when the wait is over.
    other = (await client.post(f"/public/offers/{offer['id']}/checkouts",
                               json={"name": "Ivan", "email": "ivan@example.com"})).json()["checkout_id"]
    assert (await client.get(f"/public/checkouts/{other}", params={"wait": 0.2})).json()["status"] == "pending"
    assert (await client.get(f"/public/checkouts/{other}", params={"wait": 60})).status_code == 422


@pytest.mark.parametrize("first", ["order", "link"])
async def test_only_the_write_that_makes_a_checkout_ready_wakes_its_waiting_requests(client_app, first):
    client, app = client_app
    account = uuid.uuid4()
    offer = (await make_offer(client, account)).json()
    checkout_id = uuid.UUID((await client.post(f"/public/offers/{offer['id']}/checkouts",
                                               json={"name": "Ivan", "email": "ivan@example.com"})).json()["checkout_id"])
    common = dict(account_id=account, correlation_id=uuid.uuid4())
    order_id = uuid.uuid4()
    created = OrderCreated(
        **common, order_id=order_id, order_number=4, checkout_id=checkout_id, school_name="S",
        contact_id=uuid.uuid4(), contact=ContactData(name="Ivan", email="ivan@example.com"), currency="UAH",
        lines=[], discount="0", total="1500.00", payment_plan=[], provider="sandbox")
    issued = PaymentLinkIssued(**common, order_id=order_id, payment_id=uuid.uuid4(), checkout_id=checkout_id,
                               amount="1500.00", currency="UAH", provider="sandbox", url="http://pay.example/4")

    async def apply(event) -> None:
        async with app.state.engine.begin() as conn:
            if isinstance(event, OrderCreated):
                await service.on_order_created(SqlUnitOfWork(conn), event)
            else:
                await service.on_payment_link_issued(SqlUnitOfWork(conn), event)

    with watch_checkout(app.state.notices, checkout_id) as changed:
        await apply(created if first == "order" else issued)
        # A notice would be here well within this (the notices connection is on the same machine).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), 1.0)
        assert not changed.is_set()  # still pending: a woken request would only wait again
        await apply(issued if first == "order" else created)
        await asyncio.wait_for(changed.wait(), 5)
    assert (await client.get(f"/public/checkouts/{checkout_id}")).json()["status"] == "ready"


async def test_a_link_that_arrives_before_the_order_number_does_not_make_it_ready(client_app):
    client, app = client_app
    account = uuid.uuid4()
    offer = (await make_offer(client, account)).json()
    checkout_id = (await client.post(f"/public/offers/{offer['id']}/checkouts",
                                     json={"name": "Ivan", "email": "ivan@example.com"})).json()["checkout_id"]
    common = dict(account_id=account, correlation_id=uuid.uuid4())
    order_id = uuid.uuid4()
    async with app.state.engine.begin() as conn:
        await service.on_payment_link_issued(SqlUnitOfWork(conn), PaymentLinkIssued(
            **common, order_id=order_id, payment_id=uuid.uuid4(), checkout_id=checkout_id, amount="1500.00",
            currency="UAH", provider="sandbox", url="http://pay.example/3"))
    assert (await client.get(f"/public/checkouts/{checkout_id}")).json()["status"] == "pending"
    waiting = asyncio.create_task(client.get(f"/public/checkouts/{checkout_id}", params={"wait": 5}))
    await asyncio.sleep(0.3)
    async with app.state.engine.begin() as conn:
        await service.on_order_created(SqlUnitOfWork(conn), OrderCreated(
            **common, order_id=order_id, order_number=9, checkout_id=checkout_id, school_name="S",
            contact_id=uuid.uuid4(), contact=ContactData(name="Ivan", email="ivan@example.com"), currency="UAH",
            lines=[], discount="0", total="1500.00", payment_plan=[], provider="sandbox"))
    status = (await asyncio.wait_for(waiting, 5)).json()
    assert status == {"status": "ready", "order_number": 9, "payment_url": "http://pay.example/3"}


async def test_a_repeated_open_with_the_same_idempotency_key_makes_one_checkout(client_app):
    client, app = client_app
    offer = (await make_offer(client, uuid.uuid4())).json()
    url = f"/public/offers/{offer['id']}/checkouts"
    body = {"name": "Olha", "email": "olha@example.com"}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first, *repeats = await asyncio.gather(*(client.post(url, json=body, headers=key) for _ in range(4)))
    assert {r.status_code for r in (first, *repeats)} == {202}
    assert {r.json()["checkout_id"] for r in repeats} == {first.json()["checkout_id"]}
    other = await client.post(url, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert other.json()["checkout_id"] != first.json()["checkout_id"]  # a new key is a new visit
    reused = await client.post(url, json={**body, "name": "Someone else"}, headers=key)
    assert reused.status_code == 422 and reused.json()["title"] == "Idempotency-Key reused"
    async with app.state.engine.connect() as conn:
        events = await conn.scalar(
            text("SELECT count(*) FROM outbox WHERE topic = 'OfferOpened' AND payload->>'offer_id' = :o"),
            {"o": offer["id"]})
    assert events == 2


async def test_the_offer_list_shows_the_schools_offers_oldest_first(client_app):
    client, _ = client_app
    account = uuid.uuid4()
    first = (await make_offer(client, account, price="10.00")).json()
    second = (await make_offer(client, account, price="20.00", discount="5.00")).json()
    listed = (await client.get("/offers", headers=as_account(account))).json()["items"]
    assert [(o["id"], o["total"]) for o in listed] == [(first["id"], "10.00"), (second["id"], "15.00")]
    assert listed[0]["items"][0]["product_title"] == "Python course"
