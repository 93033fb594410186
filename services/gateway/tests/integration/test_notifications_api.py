"""The gateway in front of the real notifications service (in-process, real PostgreSQL, a real SMTP server)."""

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from aiosmtpd.controller import Controller
from contracts import ContactData, OrderCreated, OrderLine, PaymentLinkIssued
from gateway.auth import mint
from gateway.main import create_app
from gateway.settings import Settings
from localstack.broker import create_topics
from localstack.ports import free_port
from servicekit.testing import fresh_group_after_published, migrated_database, running
from sqlalchemy import text

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


class Sink:
    """Takes every email, except that an address starting with `bounce-` is refused for good at RCPT."""

    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:
        if address.startswith("bounce-"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture(scope="module")
async def stack(infra):
    import notifications.main
    from contracts import ALL_TOPICS
    from notifications.settings import Settings as NotificationsSettings

    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    await create_topics(infra.kafka_bootstrap, list(ALL_TOPICS))
    group = await fresh_group_after_published(infra.kafka_bootstrap)
    service_app = notifications.main.create_app(NotificationsSettings(
        database_url=await migrated_database(infra, "notifications", notifications.main.MIGRATIONS),
        kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False, consumer_group=group,
        smtp_port=smtp.port,
    ))
    app = create_app(
        Settings(jwt_secret=SECRET, log_json=False),
        transports={"notifications": httpx.ASGITransport(app=service_app)},
    )
    try:
        async with running(service_app), running(app) as client:
            yield client, service_app, sink
    finally:
        smtp.stop()


def bearer(account, role="owner"):
    return {"Authorization": f"Bearer {mint(SECRET, account_id=account, user_id='u1', role=role, ttl=timedelta(hours=1))}"}


async def an_email(service_app, account: uuid.UUID, contact: uuid.UUID, prefix: str = "") -> uuid.UUID:
    """What the consumers record for an order and its payment link (no broker needed here); the order id."""
    from notifications import service

    to = f"{prefix}{uuid.uuid4().hex[:10]}@example.com"
    order = OrderCreated(
        account_id=account, correlation_id=uuid.uuid4(), order_id=uuid.uuid4(), order_number=7,
        school_name="Kyiv Code School", contact_id=contact, contact=ContactData(name="Olena", email=to, locale="uk"),
        currency="UAH", lines=[OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Python",
                                         price="1500.00")],
        discount="0", total="1500.00", payment_plan=[], provider="sandbox",
    )
    link = PaymentLinkIssued.caused_by(order, order_id=order.order_id, payment_id=uuid.uuid4(), amount="1500.00",
                                       currency="UAH", provider="sandbox", url="https://pay.example/p/1")
    async with service_app.state.unit_of_work(service_app.state.engine) as uow:
        await service.on_order_created(uow, order)
        await service.on_payment_link_issued(uow, link)
    return order.order_id


async def sent(service_app, order_id: uuid.UUID, count: int, status: str = "sent") -> None:
    async with asyncio.timeout(20):
        while True:
            async with service_app.state.engine.connect() as conn:
                statuses = (await conn.scalars(text("SELECT status FROM deliveries WHERE order_id = :o"),
                                               {"o": order_id})).all()
            if len(statuses) == count and set(statuses) == {status}:
                return
            await asyncio.sleep(0.05)


async def test_delivery_logs_per_order_and_per_contact_and_only_for_their_school(stack):
    client, service_app, _ = stack
    account, contact = uuid.uuid4(), uuid.uuid4()
    order_id = await an_email(service_app, account, contact)
    await sent(service_app, order_id, 1)
    [item] = (await client.get(f"/api/v1/orders/{order_id}/notifications", headers=bearer(account))).json()["items"]
    assert (item["template"], item["status"], item["attempts"], item["locale"]) == ("payment_link", "sent", 1, "uk")
    assert item["subject"] == "Оплата замовлення №7 — Kyiv Code School"
    by_contact = await client.get(f"/api/v1/contacts/{contact}/notifications", headers=bearer(account, "viewer"))
    assert [i["id"] for i in by_contact.json()["items"]] == [item["id"]]
    card = (await client.get(f"/api/v1/notifications/{item['id']}", headers=bearer(account))).json()
    assert "До сплати: 1\xa0500,00\xa0₴" in card["text_body"] and card["last_error"] is None

    stranger = bearer(uuid.uuid4())
    hidden = await client.get(f"/api/v1/notifications/{item['id']}", headers=stranger)
    assert hidden.status_code == 404 and hidden.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(f"/api/v1/orders/{order_id}/notifications", headers=stranger)).status_code == 404
    by_number = await client.get("/api/v1/orders/7/notifications", headers=bearer(account))
    assert [i["id"] for i in by_number.json()["items"]] == [item["id"]]
    assert (await client.get(f"/api/v1/contacts/{contact}/notifications", headers=stranger)).json()["items"] == []
    assert (await client.get(f"/api/v1/orders/{order_id}/notifications")).status_code == 401


async def test_resend_through_the_gateway(stack):
    client, service_app, sink = stack
    account = uuid.uuid4()
    order_id = await an_email(service_app, account, uuid.uuid4())
    await sent(service_app, order_id, 1)
    [item] = (await client.get(f"/api/v1/orders/{order_id}/notifications", headers=bearer(account))).json()["items"]
    path = f"/api/v1/notifications/{item['id']}/resend"
    assert (await client.post(path, headers=bearer(account, "viewer"))).status_code == 403
    assert (await client.post(path, headers=bearer(uuid.uuid4()))).status_code == 404
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await client.post(path, headers={**bearer(account, "manager"), **key})
    assert first.status_code == 202, first.text
    again = await client.post(path, headers={**bearer(account, "manager"), **key})
    assert again.json()["id"] == first.json()["id"] and first.json()["resend_of"] == item["id"]
    await sent(service_app, order_id, 2)
    assert sink.recipients.count(item["recipient"]) == 2


async def test_a_resend_to_a_refused_address_through_the_gateway(stack):
    client, service_app, sink = stack
    account = uuid.uuid4()
    order_id = await an_email(service_app, account, uuid.uuid4(), prefix="bounce-")
    await sent(service_app, order_id, 1, status="failed")
    [item] = (await client.get(f"/api/v1/orders/{order_id}/notifications", headers=bearer(account))).json()["items"]
    assert item["refused"] is True and "550" in item["last_error"]
    path = f"/api/v1/notifications/{item['id']}/resend"
    refused = await client.post(path, headers=bearer(account, "manager"))
    assert refused.status_code == 409 and refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["recipient"] == item["recipient"] and "550" in refused.json()["refusal"]
    assert len((await client.get(f"/api/v1/orders/{order_id}/notifications", headers=bearer(account))
                ).json()["items"]) == 1
    # The gateway passes the choice on: the service sends to the refused address once asked to.
    asked = await client.post(path, params={"to_refused_address": "true"}, headers=bearer(account, "manager"))
    assert asked.status_code == 202, asked.text
    assert asked.json()["resend_of"] == item["id"]
    await sent(service_app, order_id, 2, status="failed")


async def test_school_templates_through_the_gateway(stack):
    client, _, _ = stack
    account = uuid.uuid4()
    path = "/api/v1/templates/receipt/pl"
    body = {"subject": "Dziękujemy, {{ contact_name }}", "html": "<p>{{ amount|money(currency) }}</p>",
            "text": "{{ amount|money(currency) }}"}
    assert (await client.put(path, json=body, headers=bearer(account, "viewer"))).status_code == 403
    refused = await client.put(path, json={**body, "html": "{% for %}"}, headers=bearer(account))
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in refused.json()["errors"]] == ["html"]
    saved = await client.put(path, json=body, headers=bearer(account))
    assert saved.status_code == 200, saved.text
    assert saved.json()["preview"] == {"subject": "Dziękujemy, Contact", "html": "<p>1\xa0500,00\xa0UAH</p>",
                                       "text": "1\xa0500,00\xa0UAH\n"}
    listed = (await client.get("/api/v1/templates", headers=bearer(account, "viewer"))).json()["items"]
    assert {i["template"]: i["overridden"] for i in listed}["receipt"] == ["pl"]
    # Another school neither sees nor removes it.
    assert (await client.get(path, headers=bearer(uuid.uuid4()))).json()["overridden"] is False
    assert (await client.delete(path, headers=bearer(uuid.uuid4()))).status_code == 404
    assert (await client.delete(path, headers=bearer(account))).status_code == 204
    assert (await client.get(path, headers=bearer(account))).json()["overridden"] is False
    assert (await client.get("/api/v1/templates/receipt/xx", headers=bearer(account))).status_code == 422
    assert (await client.get("/api/v1/templates/receipt/a%3Bb", headers=bearer(account))).status_code == 422


async def test_delivery_logs_page_through_the_gateway(stack):
    client, service_app, _ = stack
    account, contact = uuid.uuid4(), uuid.uuid4()
    orders = [await an_email(service_app, account, contact) for _ in range(3)]
    for order_id in orders:
        await sent(service_app, order_id, 1)
    path = f"/api/v1/contacts/{contact}/notifications"
    first = await client.get(path, params={"limit": 2}, headers=bearer(account, "viewer"))
    assert first.status_code == 200, first.text
    assert len(first.json()["items"]) == 2 and first.json()["next_cursor"]
    rest = await client.get(path, params={"limit": 2, "cursor": first.json()["next_cursor"]},
                            headers=bearer(account, "viewer"))
    assert len(rest.json()["items"]) == 1 and rest.json()["next_cursor"] is None
    seen = [i["order_id"] for i in first.json()["items"] + rest.json()["items"]]
    assert sorted(seen) == sorted(map(str, orders))
    # Newest first: the last order recorded comes first.
    assert seen[0] == str(orders[-1])
    # Another school's cursor-walk shows nothing of this one.
    assert (await client.get(path, params={"cursor": first.json()["next_cursor"]},
                             headers=bearer(uuid.uuid4()))).json()["items"] == []
    bad = await client.get(f"/api/v1/orders/{orders[0]}/notifications", params={"cursor": "x"},
                           headers=bearer(account))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in bad.json()["errors"]] == ["cursor"]
