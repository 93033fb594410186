"""The consumers in per-topic mode, on real PostgreSQL and the real broker: each event applied in a
unit of work of its own that records it in the inbox, a redelivery applied once."""

import asyncio
import uuid

import pytest
from contracts import ContactData, OfferCopyLine, OfferCopyRequested, OrderCreated, PaymentLinkIssued
from offers.main import MIGRATIONS, create_app
from offers.settings import Settings
from servicekit.testing import as_account, service_under_test
from sqlalchemy import text


@pytest.fixture(scope="module")
async def svc(infra):
    async with service_under_test(infra, name="offers", migrations=MIGRATIONS, create_app=create_app,
                                  settings_type=Settings, consumer_mode="per-topic",
                                  sandbox_enabled=True) as running_service:
        yield running_service


async def scalar(app, sql, **params):
    async with app.state.engine.connect() as conn:
        return await conn.scalar(text(sql), params)


async def publish(app, event):
    await app.state.broker.publish(event.model_dump_json().encode(), event.topic, key=event.partition_key().encode())


async def claimed(app, consumer, event_id):
    async with asyncio.timeout(30):
        while await scalar(app, "SELECT count(*) FROM inbox WHERE consumer = :c AND event_id = :e",
                           c=consumer, e=event_id) < 1:
            await asyncio.sleep(0.05)


async def an_offer(client, account):
    me = as_account(account)
    product = (await client.post("/products", headers=me, json={"title": "Python"})).json()
    response = await client.post("/offers", headers=me, json={
        "title": "Standard", "currency": "UAH", "items": [{"product_id": product["id"], "price": "1500.00"}]})
    assert response.status_code == 201, response.text
    return product, response.json()


async def test_a_checkout_becomes_ready_from_its_order_and_link_each_claimed_in_the_inbox(svc):
    client, app = svc
    account = uuid.uuid4()
    _, offer = await an_offer(client, account)
    opened = await client.post(f"/public/offers/{offer['id']}/checkouts",
                               json={"name": "Ivan", "email": "ivan@example.com"})
    assert opened.status_code == 202, opened.text
    checkout_id = opened.json()["checkout_id"]
    order = OrderCreated(
        account_id=account, correlation_id=uuid.uuid4(), order_id=uuid.uuid4(), order_number=41,
        checkout_id=checkout_id, school_name="S", contact_id=uuid.uuid4(),
        contact=ContactData(name="Ivan", email="ivan@example.com"), currency="UAH", lines=[], discount="0",
        total="1500.00", payment_plan=[], provider="sandbox")
    link = PaymentLinkIssued.caused_by(order, order_id=order.order_id, payment_id=uuid.uuid4(),
                                       checkout_id=checkout_id, amount="1500.00", currency="UAH",
                                       provider="sandbox", url="http://pay.example/41")
    await publish(app, link)
    await publish(app, order)
    await claimed(app, "offers:OrderCreated", order.event_id)
    await claimed(app, "offers:PaymentLinkIssued", link.event_id)
    status = (await client.get(f"/public/checkouts/{checkout_id}")).json()
    assert status == {"status": "ready", "order_number": 41, "payment_url": "http://pay.example/41"}


async def test_a_copy_request_and_its_redelivery_make_one_copy(svc):
    client, app = svc
    account = uuid.uuid4()
    product, offer = await an_offer(client, account)
    request = OfferCopyRequested(account_id=account, correlation_id=uuid.uuid4(), copy_id=uuid.uuid4(),
                                 source_offer_id=offer["id"], order_id=uuid.uuid4(), order_number=5,
                                 lines=[OfferCopyLine(product_id=product["id"], price="900.00", access={})])
    await publish(app, request)
    await publish(app, request)
    await claimed(app, "offers:OfferCopyRequested", request.event_id)
    copy = (await client.get(f"/offers/{request.copy_id}", headers=as_account(account))).json()
    assert (copy["title"], copy["is_system_copy"], copy["items"][0]["price"]) == ("Standard (Copy system)", True,
                                                                                 "900.00")
    await asyncio.sleep(1)  # the redelivery's turn
    assert await scalar(app, "SELECT count(*) FROM outbox WHERE topic = 'OfferUpdated' AND key = :k",
                        k=str(request.copy_id)) == 1
    assert await scalar(app, "SELECT count(*) FROM inbox WHERE event_id = :e", e=request.event_id) == 1
