"""Events in through the real broker, emails out to a real SMTP server, on real PostgreSQL."""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from contracts import (
    ALL_TOPICS, ContactData, Event, OrderCreated, OrderLine, PaymentLinkIssued, PaymentSucceeded, ReminderRequested,
    dlq_topic,
)
from fastapi import FastAPI
from localstack.broker import create_topics
from notifications.main import MIGRATIONS, create_app
from notifications.settings import Settings
from servicekit.metrics import REGISTRY
from servicekit.testing import as_account, fresh_group, migrated_database, running
from sqlalchemy import text

GROUP = "notifications"


@dataclass
class Stack:
    client: httpx.AsyncClient
    app: FastAPI
    producer: AIOKafkaProducer

    async def publish(self, event: Event, times: int = 1) -> None:
        raw = event.model_dump_json().encode()
        for _ in range(times):
            await self.producer.send_and_wait(event.topic, raw, key=event.partition_key().encode())

    async def deliveries(self, order_id: uuid.UUID) -> list:
        async with self.app.state.engine.connect() as conn:
            return (await conn.execute(
                text("SELECT * FROM deliveries WHERE order_id = :o ORDER BY created_at"), {"o": order_id}
            )).all()

    async def settled(self, order_id: uuid.UUID, count: int, timeout: float = 30) -> list:
        """The order's deliveries once there are `count` of them and none is waiting to be sent."""
        async with asyncio.timeout(timeout):
            while True:
                rows = await self.deliveries(order_id)
                if len(rows) == count and all(r.status != "pending" for r in rows):
                    return rows
                await asyncio.sleep(0.05)

    async def applied(self, event: Event) -> bool:
        async with self.app.state.engine.connect() as conn:
            return bool(await conn.scalar(
                text("SELECT count(*) FROM inbox WHERE consumer = :c AND event_id = :e"),
                {"c": f"{GROUP}:{event.topic}", "e": event.event_id},
            ))


@pytest.fixture(scope="module")
async def stack(infra, mailbox):
    url = await migrated_database(infra, "notifications", MIGRATIONS)
    await create_topics(infra.kafka_bootstrap, [*ALL_TOPICS, *(dlq_topic(t) for t in ALL_TOPICS)])
    settings = Settings(
        database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False,
        smtp_port=mailbox.port, send_retry_first=0.2, send_retry_cap=1, consumer_group=fresh_group(),
    )
    app = create_app(settings)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        async with running(app) as client:
            yield Stack(client, app, producer)
    finally:
        await producer.stop()


def consumer_count(topic: str, outcome: str) -> float:
    labels = {"service": GROUP, "topic": topic, "outcome": outcome}
    return REGISTRY.get_sample_value("consumer_messages_total", labels) or 0.0


def an_order(email: str, **over) -> OrderCreated:
    values = dict(
        account_id=uuid.uuid4(), correlation_id=uuid.uuid4(), order_id=uuid.uuid4(), order_number=1042,
        school_name="Kyiv Code School", contact_id=uuid.uuid4(),
        contact=ContactData(name="Olena Kovalenko", email=email, phone="+380501234567", locale="uk"),
        currency="UAH",
        lines=[OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Python course", price="1547.36")],
        discount="0", total="1547.36", payment_plan=[], provider="sandbox",
    )
    return OrderCreated(**(values | over))


def a_link(order: OrderCreated, **over) -> PaymentLinkIssued:
    values = dict(
        order_id=order.order_id, payment_id=uuid.uuid4(), amount="1547.36", currency="UAH", provider="sandbox",
        url=f"https://pay.example/checkout/{uuid.uuid4()}?sig=a&lang=en",
    )
    return PaymentLinkIssued.caused_by(order, **(values | over))


def a_payment(order: OrderCreated) -> PaymentSucceeded:
    return PaymentSucceeded.caused_by(
        order, order_id=order.order_id, payment_id=uuid.uuid4(), amount="1547.36", currency="UAH",
        provider="sandbox", paid_at=datetime(2026, 11, 20, 9, 5, tzinfo=UTC),
    )


def an_address(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}@example.com"


async def test_payment_link_email_reaches_the_contact(stack, mailbox, eventually):
    to = an_address()
    order = an_order(to)
    link = a_link(order, due_at=datetime(2026, 11, 23, 15, 30, tzinfo=UTC))
    await stack.publish(order)
    await stack.publish(link)
    [message] = await eventually(lambda: mailbox.messages_to(to))
    [envelope] = mailbox.envelopes_to(to)
    assert envelope.rcpt_tos == [to] and envelope.mail_from == "no-reply@school.local"
    assert message["To"] == to
    assert message["From"] == "Online school <no-reply@school.local>"
    assert message["Subject"] == "Payment for order #1042 at Kyiv Code School"
    text_part, html = mailbox.parts(message)
    for body in (text_part, html):
        assert "Kyiv Code School" in body and "#1042" in body and "Python course" in body
        assert "UAH1,547.36" in body
        assert "November 23, 2026" in body
        # Only this contact's own order: no phone number, nothing internal.
        assert "+380501234567" not in body
    assert link.url in text_part
    assert f'href="{link.url.replace("&", "&amp;")}"' in html
    [row] = await stack.settled(order.order_id, 1)
    assert (row.template, row.recipient, row.locale, row.status, row.attempts) == ("payment_link", to, "en", "sent", 1)
    assert row.event_id == link.event_id and row.sent_at is not None


async def test_receipt_after_payment_succeeded(stack, mailbox, eventually):
    to = an_address()
    order = an_order(to)
    await stack.publish(order)
    await stack.publish(a_payment(order))
    [message] = await eventually(lambda: mailbox.messages_to(to))
    assert message["Subject"] == "Payment received for order #1042 at Kyiv Code School"
    text_part, html = mailbox.parts(message)
    for body in (text_part, html):
        assert "UAH1,547.36" in body and "November 20, 2026" in body and "Python course" in body
    [row] = await stack.settled(order.order_id, 1)
    assert (row.template, row.status) == ("receipt", "sent")


async def test_reminder_carries_its_link(stack, mailbox, eventually):
    to = an_address()
    order = an_order(to)
    reminder = ReminderRequested.caused_by(
        order, order_id=order.order_id, payment_id=uuid.uuid4(), amount="1547.36", currency="UAH",
        url=f"https://pay.example/checkout/{uuid.uuid4()}",
    )
    await stack.publish(order)
    await stack.publish(reminder)
    [message] = await eventually(lambda: mailbox.messages_to(to))
    assert message["Subject"] == "Reminder: payment for order #1042 at Kyiv Code School"
    text_part, html = mailbox.parts(message)
    assert reminder.url in text_part and f'href="{reminder.url}"' in html
    [row] = await stack.settled(order.order_id, 1)
    assert row.template == "reminder"


async def test_a_redelivered_event_sends_one_email(stack, mailbox, eventually):
    to = an_address()
    order = an_order(to)
    link = a_link(order)
    duplicates = consumer_count(link.topic, "duplicate")
    await stack.publish(order)
    await stack.publish(link, times=2)
    await eventually(lambda: consumer_count(link.topic, "duplicate") > duplicates)
    await eventually(lambda: mailbox.messages_to(to))
    [row] = await stack.settled(order.order_id, 1)
    await asyncio.sleep(1.5)  # more than a poll of the sender: a second email would be out by now
    assert len(mailbox.messages_to(to)) == 1
    assert row.attempts == 1 and len(await stack.deliveries(order.order_id)) == 1


async def test_a_link_that_arrives_before_its_order_waits_for_it(stack, mailbox, eventually):
    to = an_address()
    order = an_order(to)
    link = a_link(order)
    retried = consumer_count(link.topic, "retried")
    await stack.publish(link)
    await eventually(lambda: consumer_count(link.topic, "retried") > retried)
    assert mailbox.messages_to(to) == [] and await stack.deliveries(order.order_id) == []
    await stack.publish(order)
    await eventually(lambda: mailbox.messages_to(to))
    await stack.settled(order.order_id, 1)
    await asyncio.sleep(1.5)
    assert len(mailbox.messages_to(to)) == 1


async def test_no_email_when_the_link_was_issued_without_one(stack, mailbox, eventually):
    to = an_address()
    order = an_order(to)
    quiet = a_link(order, send_email=False)
    await stack.publish(order)
    await stack.publish(quiet)
    await eventually(lambda: stack.applied(quiet))
    await asyncio.sleep(1.2)
    assert await stack.deliveries(order.order_id) == [] and mailbox.messages_to(to) == []


async def test_a_busy_mail_server_gets_the_email_on_a_later_try(stack, mailbox, eventually):
    to = an_address("defer-once-")
    order = an_order(to)
    await stack.publish(order)
    await stack.publish(a_link(order))
    [row] = await stack.settled(order.order_id, 1)
    assert (row.status, row.attempts) == ("sent", 2)
    assert "451" in row.last_error
    assert mailbox.data_tries[to] == 2 and len(mailbox.messages_to(to)) == 1


@pytest.mark.parametrize("prefix, code", [("bounce-", "550"), ("reject-", "554")])
async def test_a_refused_email_fails_for_good(stack, mailbox, eventually, prefix, code):
    to = an_address(prefix)
    order = an_order(to)
    await stack.publish(order)
    await stack.publish(a_link(order))
    [row] = await stack.settled(order.order_id, 1)
    assert (row.status, row.attempts, row.sent_at) == ("failed", 1, None)
    assert code in row.last_error
    await asyncio.sleep(1.5)  # several retry delays: nothing is tried again
    [row] = await stack.deliveries(order.order_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert mailbox.rcpt_tries[to] == 1 and mailbox.messages_to(to) == []


async def test_an_event_from_another_account_cannot_address_the_contact(stack, mailbox, eventually):
    to = an_address()
    order = an_order(to)
    forged = a_link(order).model_copy(update={"account_id": uuid.uuid4()})
    dead = consumer_count(forged.topic, "dead_lettered")
    await stack.publish(order)
    await stack.publish(forged)
    await eventually(lambda: consumer_count(forged.topic, "dead_lettered") > dead)
    assert await stack.deliveries(order.order_id) == [] and mailbox.messages_to(to) == []


async def test_delivery_log_of_an_order_and_nothing_for_another_account(stack, mailbox, eventually):
    to = an_address()
    order = an_order(to)
    await stack.publish(order)
    await stack.publish(a_link(order))
    await stack.publish(a_payment(order))
    await stack.settled(order.order_id, 2)
    mine = as_account(order.account_id)
    response = await stack.client.get(f"/orders/{order.order_id}/notifications", headers=mine)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert sorted(i["template"] for i in items) == ["payment_link", "receipt"]
    for item in items:
        assert set(item) == {
            "id", "template", "recipient", "status", "attempts", "last_error", "subject", "created_at", "sent_at",
        }
        assert (item["recipient"], item["status"], item["attempts"]) == (to, "sent", 1)
    receipt = next(i for i in items if i["template"] == "receipt")
    card = (await stack.client.get(f"/notifications/{receipt['id']}", headers=mine)).json()
    assert card["subject"] == "Payment received for order #1042 at Kyiv Code School"
    assert "UAH1,547.36" in card["text_body"] and "<strong>UAH1,547.36</strong>" in card["html_body"]
    assert card["order_id"] == str(order.order_id) and card["locale"] == "en" and card["next_attempt_at"] is None

    stranger = as_account(uuid.uuid4())
    assert (await stack.client.get(f"/orders/{order.order_id}/notifications", headers=stranger)).json() == {
        "items": []
    }
    hidden = await stack.client.get(f"/notifications/{receipt['id']}", headers=stranger)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")
    assert (await stack.client.get(f"/notifications/{uuid.uuid4()}", headers=mine)).status_code == 404
    assert (await stack.client.get(f"/orders/{order.order_id}/notifications")).status_code == 422
