"""Events in through the real broker, emails out to a real SMTP server, on real PostgreSQL."""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from contracts import (
    ALL_TOPICS, AccessChanged, ContactData, Event, OrderCreated, OrderLine, OrderUpdated, PaymentLinkIssued,
    PaymentSucceeded, PlannedPayment, ReminderRequested, SchoolUpdated, dlq_topic,
)
from fastapi import FastAPI
from localstack.broker import create_topics
from notifications.main import MIGRATIONS, create_app
from notifications.settings import Settings
from servicekit.metrics import REGISTRY
from servicekit.testing import as_account, fresh_group_after_published, migrated_database, running
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
    group = await fresh_group_after_published(infra.kafka_bootstrap)
    settings = Settings(
        database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False,
        smtp_port=mailbox.port, send_retry_first=0.2, send_retry_cap=1, consumer_group=group,
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
        contact=ContactData(name="Olena Kovalenko", email=email, phone="+380501234567", locale="en"),
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
    assert message["From"] == "Kyiv Code School <no-reply@school.local>"  # the school, at the platform's address
    assert message["Subject"] == "Payment for order #1042 at Kyiv Code School"
    text_part, html = mailbox.parts(message)
    for body in (text_part, html):
        assert "Kyiv Code School" in body and "#1042" in body and "Python course" in body
        assert "UAH\xa01,547.36" in body
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
        assert "UAH\xa01,547.36" in body and "November 20, 2026" in body and "Python course" in body
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
    assert mailbox.data_tries[to] == 2 and len(mailbox.messages_to(to)) == 1
    # The first try's 451 was the log's until then; a sent email shows no error.
    assert row.last_error is None
    mine = as_account(order.account_id)
    [item] = (await stack.client.get(f"/orders/{order.order_id}/notifications", headers=mine)).json()["items"]
    assert (item["status"], item["attempts"], item["last_error"]) == ("sent", 2, None)
    card = (await stack.client.get(f"/notifications/{row.id}", headers=mine)).json()
    assert (card["status"], card["last_error"], card["refused"]) == ("sent", None, False)


@pytest.mark.parametrize("prefix, code", [("bounce-", "550"), ("reject-", "554")])
async def test_a_refused_email_fails_for_good(stack, mailbox, eventually, prefix, code):
    to = an_address(prefix)
    order = an_order(to)
    await stack.publish(order)
    await stack.publish(a_link(order))
    [row] = await stack.settled(order.order_id, 1)
    assert (row.status, row.attempts, row.sent_at, row.refused) == ("failed", 1, None, True)
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
            "order_id", "contact_id", "locale", "resend_of", "cancel_reason", "refused",
        }
        assert item["contact_id"] == str(order.contact_id) and item["resend_of"] is None
        assert (item["recipient"], item["status"], item["attempts"]) == (to, "sent", 1)
    receipt = next(i for i in items if i["template"] == "receipt")
    card = (await stack.client.get(f"/notifications/{receipt['id']}", headers=mine)).json()
    assert card["subject"] == "Payment received for order #1042 at Kyiv Code School"
    assert "UAH\xa01,547.36" in card["text_body"] and "UAH\xa01,547.36" in card["html_body"]
    assert card["order_id"] == str(order.order_id) and card["locale"] == "en" and card["next_attempt_at"] is None

    by_number = await stack.client.get(f"/orders/{order.order_number}/notifications", headers=mine)
    assert by_number.json() == response.json()
    stranger = as_account(uuid.uuid4())
    for ref in (order.order_id, order.order_number):  # another school's order is not theirs to know of
        assert (await stack.client.get(f"/orders/{ref}/notifications", headers=stranger)).status_code == 404
    assert (await stack.client.get(f"/orders/{uuid.uuid4()}/notifications", headers=mine)).status_code == 404
    assert (await stack.client.get("/orders/0/notifications", headers=mine)).status_code == 422
    hidden = await stack.client.get(f"/notifications/{receipt['id']}", headers=stranger)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")
    assert (await stack.client.get(f"/notifications/{uuid.uuid4()}", headers=mine)).status_code == 404
    assert (await stack.client.get(f"/orders/{order.order_id}/notifications")).status_code == 401


# --- languages, read models, access, confirmations, outcomes, resends, contacts, overrides ---------------

async def outbox_events(stack: Stack, delivery_id) -> list[tuple[str, dict]]:
    async with stack.app.state.engine.connect() as conn:
        rows = (await conn.execute(
            text("SELECT topic, payload FROM outbox WHERE payload->>'delivery_id' = :d ORDER BY id"),
            {"d": str(delivery_id)},
        )).all()
    return [(r.topic, r.payload) for r in rows]


def products(*titles: str) -> list[OrderLine]:
    return [OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title=t, price="500.00") for t in titles]


LOCALIZED = {
    "uk": dict(
        subject="Оплата замовлення №1042 — Kyiv Code School",
        lines=["Вітаємо, Olena Kovalenko!", "Ваше замовлення містить 3 продукти:", "До сплати: 1\xa0547,36\xa0₴",
               "Будь ласка, оплатіть до 25 листопада 2026\u202fр., 12:00 UTC.", "Термін оплати — через 5 днів."],
    ),
    "ru": dict(
        subject="Оплата заказа №1042 — Kyiv Code School",
        lines=["Здравствуйте, Olena Kovalenko!", "Ваш заказ включает 3 продукта:", "К оплате: 1\xa0547,36\xa0₴",
               "Пожалуйста, оплатите до 25 ноября 2026\u202fг., 12:00 UTC.", "Срок оплаты — через 5 дней."],
    ),
    "pl": dict(
        subject="Płatność za zamówienie nr 1042 — Kyiv Code School",
        lines=["Dzień dobry, Olena Kovalenko!", "Twoje zamówienie obejmuje 3 produkty:",
               "Do zapłaty: 1\xa0547,36\xa0UAH", "Prosimy o płatność do 25 listopada 2026 12:00 UTC.",
               "Termin płatności upływa za 5 dni."],
    ),
}


@pytest.mark.parametrize("locale", sorted(LOCALIZED))
async def test_the_contacts_language_with_its_plurals_and_formats(stack, mailbox, eventually, locale):
    to = an_address()
    contact = ContactData(name="Olena Kovalenko", email=to, locale=locale)
    order = an_order(to, contact=contact, lines=products("Python course", "SQL basics", "Git"))
    link = a_link(order, occurred_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
                  due_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    await stack.publish(order)
    await stack.publish(link)
    [message] = await eventually(lambda: mailbox.messages_to(to))
    expected = LOCALIZED[locale]
    assert message["Subject"] == expected["subject"]
    text_part, html = mailbox.parts(message)
    for line in expected["lines"]:
        assert line in text_part
        assert line in html
    assert f'<html lang="{locale}">' in html
    [row] = await stack.settled(order.order_id, 1)
    assert row.locale == locale


async def test_without_a_contact_language_the_schools_then_the_orders_then_english(stack, mailbox, eventually):
    account = uuid.uuid4()
    school = SchoolUpdated(account_id=account, correlation_id=uuid.uuid4(), name="Berliner Code Schule",
                           default_locale="de")
    await stack.publish(school)
    await eventually(lambda: stack.applied(school))
    cases = [
        (account, "es", None, "Zahlung für Bestellung Nr. 1042 bei Berliner Code Schule"),
        (uuid.uuid4(), None, "fr", "Paiement de la commande n° 1042 chez Kyiv Code School"),
        (uuid.uuid4(), "es", "xx", "Payment for order #1042 at Kyiv Code School"),
    ]
    for account_id, contact_locale, order_locale, subject in cases:
        to = an_address()
        order = an_order(to, account_id=account_id, school_locale=order_locale,
                         contact=ContactData(name="Anna", email=to, locale=contact_locale))
        await stack.publish(order)
        await stack.publish(a_link(order))
        [message] = await eventually(lambda: mailbox.messages_to(to))
        assert message["Subject"] == subject


async def test_an_email_is_from_its_school_and_its_replies_go_there(stack, mailbox, eventually):
    account = uuid.uuid4()
    school = SchoolUpdated(account_id=account, correlation_id=uuid.uuid4(), name="Lviv Design School",
                           default_locale="en", reply_to="office@lviv-design.example")
    await stack.publish(school)
    await eventually(lambda: stack.applied(school))
    to = an_address()
    order = an_order(to, account_id=account)
    await stack.publish(order)
    await stack.publish(a_link(order))
    [message] = await eventually(lambda: mailbox.messages_to(to))
    assert message["From"].addresses[0].display_name == "Lviv Design School"
    assert message["Reply-To"] == "office@lviv-design.example"
    # A school that named no address: its name, and no Reply-To.
    other = an_address()
    plain = an_order(other)
    await stack.publish(plain)
    await stack.publish(a_link(plain))
    [message] = await eventually(lambda: mailbox.messages_to(other))
    assert message["From"].addresses[0].display_name == plain.school_name and message["Reply-To"] is None


async def test_dates_are_shown_in_the_schools_time_zone(stack, mailbox, eventually):
    account = uuid.uuid4()
    school = SchoolUpdated(account_id=account, correlation_id=uuid.uuid4(), name="Kyiv Code School",
                           default_locale="uk", time_zone="Europe/Kyiv")
    await stack.publish(school)
    await eventually(lambda: stack.applied(school))
    for account_id, expected, days in (
        (account, "25 листопада 2026\u202fр., 14:00 EET", "Термін оплати — сьогодні."),
        (uuid.uuid4(), "25 листопада 2026\u202fр., 12:00 UTC", "Термін оплати — через 1 день."),  # the default: UTC
    ):
        to = an_address()
        order = an_order(to, account_id=account_id, contact=ContactData(name="Olena", email=to, locale="uk"))
        # Late on the 24th in UTC is already the 25th in Kyiv: the due date is today there, not tomorrow.
        await stack.publish(order)
        await stack.publish(a_link(order, occurred_at=datetime(2026, 11, 24, 23, 30, tzinfo=UTC),
                                   due_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC)))
        [message] = await eventually(lambda: mailbox.messages_to(to))
        text_part, html = mailbox.parts(message)
        assert f"Будь ласка, оплатіть до {expected}." in text_part and expected in html
        assert days in text_part


async def test_order_updated_moves_the_emails_to_the_new_address_and_language(stack, mailbox, eventually):
    old, new = an_address(), an_address()
    order = an_order(old)
    new_contact = uuid.uuid4()
    updated = OrderUpdated.caused_by(
        order, order_id=order.order_id, order_number=1042, order_version=2, contact_id=new_contact,
        contact=ContactData(name="Piotr Nowak", email=new, locale="pl"), currency="UAH",
        lines=order.lines, discount="0", total="1547.36", changed=["contact"],
    )
    stale = updated.model_copy(update={"event_id": uuid.uuid4(), "order_version": 1,
                                       "contact": ContactData(name="Old", email=old, locale="en")})
    await stack.publish(order)
    await stack.publish(updated)
    await eventually(lambda: stack.applied(updated))
    await stack.publish(stale)  # an older version arriving late changes nothing
    await eventually(lambda: stack.applied(stale))
    await stack.publish(a_link(order))
    [message] = await eventually(lambda: mailbox.messages_to(new))
    assert message["Subject"] == "Płatność za zamówienie nr 1042 — Kyiv Code School"
    assert "Piotr Nowak" in mailbox.parts(message)[0]
    assert mailbox.messages_to(old) == []
    [row] = await stack.settled(order.order_id, 1)
    assert row.contact_id == new_contact


async def test_access_opened_and_suspended_once_per_change(stack, mailbox, eventually):
    to = an_address()
    order = an_order(to, contact=ContactData(name="Olena", email=to, locale="uk"))
    line = order.lines[0]

    def access(status, reason, **over):
        return AccessChanged.caused_by(
            order, order_id=order.order_id, line_id=line.line_id, product_id=line.product_id,
            product_title=line.product_title, contact_id=order.contact_id, status=status, reason=reason, **over)

    opened = access("open", "paid", ends_at=datetime(2027, 2, 1, tzinfo=UTC))
    moved = access("open", "terms_changed", ends_at=datetime(2027, 3, 1, tzinfo=UTC))
    suspended = access("suspended", "overdue")
    await stack.publish(order)
    for event in (opened, moved, suspended):
        await stack.publish(event)
        await eventually(lambda: stack.applied(event))
    rows = await stack.settled(order.order_id, 2)
    assert [r.template for r in rows] == ["access_opened", "access_suspended"]
    subjects = sorted(m["Subject"] for m in await eventually(lambda: len(mailbox.messages_to(to)) == 2
                                                                 and mailbox.messages_to(to)))
    assert subjects == ["Доступ до «Python course» відкрито — Kyiv Code School",
                        "Доступ до «Python course» призупинено — Kyiv Code School"]
    opened_text = next(mailbox.parts(m)[0] for m in mailbox.messages_to(to) if "відкрито" in m["Subject"])
    assert "Доступ діє до 1 лютого 2027\u202fр., 00:00 UTC." in opened_text


async def test_a_manual_order_is_confirmed_when_asked(stack, mailbox, eventually):
    to = an_address()
    paid = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    order = an_order(
        to, source="manual", send_confirmation=True, contact=ContactData(name="Anna", email=to, locale="de"),
        payment_plan=[PlannedPayment(amount="547.36", method="cash", paid_at=paid, comment="paid at the desk"),
                      PlannedPayment(amount="1000.00", due_at=datetime(2026, 12, 1, tzinfo=UTC))],
    )
    quiet = an_order(an_address(), source="manual")
    await stack.publish(quiet)
    await stack.publish(order)
    # The rest is paid by link: the confirmation waits for the link and carries it, one email.
    await eventually(lambda: stack.applied(order))
    assert await stack.deliveries(order.order_id) == []
    link = a_link(order, amount="1000.00")
    await stack.publish(link)
    [message] = await eventually(lambda: mailbox.messages_to(to))
    assert message["Subject"] == "Ihre Bestellung Nr. 1042 bei Kyiv Code School"
    text_part, html = mailbox.parts(message)
    for body in (text_part, html):
        assert "Python course — 1.547,36\xa0UAH" in body
        assert "547,36\xa0UAH, bezahlt am 20. November 2026, 10:00 UTC" in body
        assert "1.000,00\xa0UAH, fällig bis zum 1. Dezember 2026, 00:00 UTC" in body
        assert "paid at the desk" not in body
    assert link.url in text_part and f'href="{link.url.replace("&", "&amp;")}"' in html
    [row] = await stack.settled(order.order_id, 1)
    assert row.template == "order_confirmation"
    await eventually(lambda: stack.applied(quiet))
    assert await stack.deliveries(quiet.order_id) == []
    # Nothing left to pay by link: the confirmation goes at once, without one.
    cash = an_address()
    settled = an_order(cash, source="manual", send_confirmation=True, contact=ContactData(name="Anna", email=cash),
                       payment_plan=[PlannedPayment(amount="1547.36", method="cash", paid_at=paid)])
    await stack.publish(settled)
    [message] = await eventually(lambda: mailbox.messages_to(cash))
    assert "https://" not in mailbox.parts(message)[0]


async def test_a_confirmation_whose_link_arrived_first_still_carries_it_once(stack, mailbox, eventually):
    to = an_address()
    order = an_order(to, source="manual", send_confirmation=True,
                     payment_plan=[PlannedPayment(amount="1547.36")])
    link = a_link(order)
    await stack.publish(link)  # topics are not ordered with each other: the link may come first
    await stack.publish(order)
    [message] = await eventually(lambda: mailbox.messages_to(to))
    assert link.url in mailbox.parts(message)[0]
    [row] = await stack.settled(order.order_id, 1)
    assert row.template == "order_confirmation"


async def test_sent_and_failed_are_published_through_the_outbox(stack, mailbox, eventually):
    good, bad = an_address(), an_address("bounce-")
    delivered, bounced = an_order(good), an_order(bad)
    for order in (delivered, bounced):
        await stack.publish(order)
        await stack.publish(a_link(order))
    [sent] = await stack.settled(delivered.order_id, 1)
    [failed] = await stack.settled(bounced.order_id, 1)
    [(topic, payload)] = await eventually(lambda: outbox_events(stack, sent.id))
    assert topic == "NotificationSent"
    assert (payload["template"], payload["recipient"], payload["locale"], payload["attempts"]) == (
        "payment_link", good, "en", 1)
    assert payload["order_id"] == str(delivered.order_id) and payload["account_id"] == str(delivered.account_id)
    assert payload["subject"] == sent.subject and payload["causation_id"] == str(sent.event_id)
    [(topic, payload)] = await eventually(lambda: outbox_events(stack, failed.id))
    assert topic == "NotificationFailed" and "550" in payload["error"] and payload["recipient"] == bad


async def test_a_retried_email_reports_sent_once(stack, mailbox, eventually):
    to = an_address("defer-once-")
    order = an_order(to)
    await stack.publish(order)
    await stack.publish(a_link(order))
    [row] = await stack.settled(order.order_id, 1)
    assert (row.status, row.attempts) == ("sent", 2)
    [(topic, payload)] = await eventually(lambda: outbox_events(stack, row.id))
    assert (topic, payload["attempts"]) == ("NotificationSent", 2)


async def test_resend_sends_the_same_message_as_a_new_delivery(stack, mailbox, eventually):
    to = an_address()
    order = an_order(to)
    await stack.publish(order)
    await stack.publish(a_link(order))
    [first] = await stack.settled(order.order_id, 1)
    mine = as_account(order.account_id)
    key = {**mine, "Idempotency-Key": str(uuid.uuid4())}
    response = await stack.client.post(f"/notifications/{first.id}/resend", headers=key)
    assert response.status_code == 202, response.text
    again = response.json()
    assert again["resend_of"] == str(first.id) and again["id"] != str(first.id)
    assert (again["subject"], again["text_body"], again["html_body"]) == (first.subject, first.text_body,
                                                                          first.html_body)
    repeated = await stack.client.post(f"/notifications/{first.id}/resend", headers=key)
    assert repeated.status_code == 202 and repeated.json()["id"] == again["id"]
    asked_otherwise = await stack.client.post(f"/notifications/{first.id}/resend?to_refused_address=true",
                                              headers=key)
    assert asked_otherwise.status_code == 422 and asked_otherwise.json()["errors"][0]["field"] == "Idempotency-Key"
    rows = await stack.settled(order.order_id, 2)
    assert [r.status for r in rows] == ["sent", "sent"]
    messages = await eventually(lambda: len(mailbox.messages_to(to)) == 2 and mailbox.messages_to(to))
    assert messages[0]["Subject"] == messages[1]["Subject"]
    assert messages[0]["Message-ID"] != messages[1]["Message-ID"]
    assert (await stack.client.post(f"/notifications/{first.id}/resend", headers=as_account(uuid.uuid4()))
            ).status_code == 404
    assert (await stack.client.post(f"/notifications/{uuid.uuid4()}/resend", headers=mine)).status_code == 404


async def test_a_refused_address_is_resent_to_only_when_asked(stack, mailbox, eventually):
    to = an_address("bounce-")
    order = an_order(to)
    await stack.publish(order)
    await stack.publish(a_link(order))
    [bounced] = await stack.settled(order.order_id, 1)
    assert (bounced.status, bounced.refused) == ("failed", True)
    mine = as_account(order.account_id)
    path = f"/notifications/{bounced.id}/resend"
    for params in ({}, {"to_refused_address": "false"}):
        refused = await stack.client.post(path, params=params, headers=mine)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["recipient"] == to and problem["refusal"] == bounced.last_error and "550" in problem["refusal"]
        assert to in problem["detail"] and "to_refused_address=true" in problem["detail"]
    assert len(await stack.deliveries(order.order_id)) == 1  # nothing queued
    assert mailbox.rcpt_tries[to] == 1

    bad = await stack.client.post(path, params={"to_refused_address": "perhaps"}, headers=mine)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")

    asked = await stack.client.post(path, params={"to_refused_address": "true"}, headers=mine)
    assert asked.status_code == 202, asked.text
    assert asked.json()["resend_of"] == str(bounced.id) and asked.json()["recipient"] == to
    rows = await stack.settled(order.order_id, 2)
    assert [(r.status, r.refused) for r in rows] == [("failed", True), ("failed", True)]
    assert mailbox.rcpt_tries[to] == 2  # it was tried, and the server refused it once more


async def test_an_email_given_up_on_without_a_refusal_is_resent_as_before(stack, mailbox, eventually):
    to = an_address()
    order = an_order(to)
    await stack.publish(order)
    await stack.publish(a_link(order))
    [first] = await stack.settled(order.order_id, 1)
    async with stack.app.state.engine.begin() as conn:
        # What many tries against a server that was down leave behind: failed, never refused.
        await conn.execute(text(
            "UPDATE deliveries SET status = 'failed', last_error = 'SMTPConnectError: down' WHERE id = :i"
        ), {"i": first.id})
    response = await stack.client.post(f"/notifications/{first.id}/resend", headers=as_account(order.account_id))
    assert response.status_code == 202, response.text
    rows = await stack.settled(order.order_id, 2)
    assert rows[1].status == "sent"


async def test_a_contacts_emails_across_orders(stack, mailbox, eventually):
    to = an_address()
    account, contact = uuid.uuid4(), uuid.uuid4()
    first = an_order(to, account_id=account, contact_id=contact)
    second = an_order(to, account_id=account, contact_id=contact, order_number=1043)
    someone = an_order(an_address(), account_id=account)
    for order in (first, second, someone):
        await stack.publish(order)
        await stack.publish(a_link(order))
    for order in (first, second, someone):
        await stack.settled(order.order_id, 1)
    response = await stack.client.get(f"/contacts/{contact}/notifications", headers=as_account(account))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert sorted(i["order_id"] for i in items) == sorted([str(first.order_id), str(second.order_id)])
    assert all(i["contact_id"] == str(contact) and i["status"] == "sent" for i in items)
    assert items[0]["created_at"] >= items[1]["created_at"]
    other = await stack.client.get(f"/contacts/{contact}/notifications", headers=as_account(uuid.uuid4()))
    assert other.json() == {"items": [], "next_cursor": None}


async def test_a_wording_is_previewed_on_the_sample_letter_without_being_saved(stack):
    account = uuid.uuid4()
    mine = as_account(account, role="manager")
    path = "/templates/payment_link/uk"
    wording = {"subject": "{{ school_name }}: №{{ order_number }}",
               "html": "<p style=\"color:#c00\">{{ contact_name }}: <a href=\"{{ url }}\">сплатити</a></p>",
               "text": "{{ contact_name }}: {{ url }}"}
    shown = await stack.client.post(f"{path}/preview", json=wording, headers=mine)
    assert shown.status_code == 200, shown.text
    preview = shown.json()
    assert set(preview) == {"subject", "html", "text"}
    # The same sample letter the template's own view renders.
    assert preview["subject"] == "School: №1042"
    assert preview["html"].startswith('<p style="color:#c00">') and "https://" in preview["html"]
    assert (await stack.client.get(path, headers=mine)).json()["overridden"] is False  # nothing stored
    # Refused as a save would be, on the part it names.
    broken = await stack.client.post(f"{path}/preview", json={**wording, "subject": "{{ manager_name }}"},
                                     headers=mine)
    assert broken.status_code == 422 and broken.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in broken.json()["errors"]] == ["subject"]
    assert (await stack.client.post("/templates/nope/uk/preview", json=wording, headers=mine)).status_code == 422
    # A viewer cannot write a wording, so it has nothing to preview; without the proof, nothing.
    viewer = await stack.client.post(f"{path}/preview", json=wording, headers=as_account(account, role="viewer"))
    assert viewer.status_code == 403
    assert (await stack.client.post(f"{path}/preview", json=wording)).status_code == 401


async def test_a_schools_own_template_is_checked_when_saved_and_used_when_sent(stack, mailbox, eventually):
    account = uuid.uuid4()
    mine = as_account(account)
    path = "/templates/payment_link/uk"
    good = {
        "subject": "{{ school_name }}: рахунок №{{ order_number }}",
        "html": "<p>{{ contact_name }}, сплатіть {{ amount|money(currency) }}: <a href=\"{{ url }}\">тут</a></p>",
        "text": "{{ contact_name }}, сплатіть {{ amount|money(currency) }}: {{ url }}"
                "{% if due_at %} до {{ due_at|moment }}{% endif %}",
    }
    broken = [
        ({**good, "html": "<p>{{ contact_name }</p>"}, "html"),
        ({**good, "subject": "{{ manager_name }}"}, "subject"),
        ({**good, "text": "{{ ''.__class__.__mro__ }}"}, "text"),
        ({**good, "text": "{% if overdue %}{{ due_at.nope }}{% endif %}"}, "text"),
    ]
    for body, field in broken:
        refused = await stack.client.put(path, json=body, headers=mine)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert (await stack.client.get(path, headers=mine)).json()["overridden"] is False
    missing = await stack.client.put(path, json={"subject": "x"}, headers=mine)
    assert missing.status_code == 422 and {"html", "text"} <= {e["field"] for e in missing.json()["errors"]}
    assert (await stack.client.put("/templates/payment_link/xx", json=good, headers=mine)).status_code == 422
    assert (await stack.client.put("/templates/nope/uk", json=good, headers=mine)).status_code == 422

    saved = await stack.client.put(path, json=good, headers=mine)
    assert saved.status_code == 200, saved.text
    assert saved.json()["overridden"] is True and saved.json()["preview"]["subject"] == "School: рахунок №1042"
    listed = (await stack.client.get("/templates", headers=mine)).json()
    assert {i["template"]: i["overridden"] for i in listed["items"]}["payment_link"] == ["uk"]
    variables = {i["template"]: i["variables"] for i in listed["items"]}
    assert {"contact_name", "url"} <= set(variables["payment_link"]) and "url" not in variables["receipt"]
    assert saved.json()["variables"] == variables["payment_link"]
    # A receipt never gets a link: naming one is refused when saved, not shown as "None" to contacts.
    receipt = "/templates/receipt/uk"
    linked = await stack.client.put(receipt, headers=mine, json={
        "subject": "Receipt", "html": "<p>{{ url }}</p>", "text": "Your receipt: {{ url }}"})
    assert linked.status_code == 422
    assert {e["field"]: e["message"] for e in linked.json()["errors"]} == {
        "html": "unknown variable(s): url", "text": "unknown variable(s): url"}

    to = an_address()
    order = an_order(to, account_id=account, contact=ContactData(name="<b>Olena</b>", email=to, locale="uk"))
    await stack.publish(order)
    await stack.publish(a_link(order))
    [message] = await eventually(lambda: mailbox.messages_to(to))
    assert message["Subject"] == "Kyiv Code School: рахунок №1042"
    text_part, html = mailbox.parts(message)
    assert text_part.startswith("<b>Olena</b>, сплатіть 1\xa0547,36\xa0₴: https://pay.example/")
    assert html.startswith("<p>&lt;b&gt;Olena&lt;/b&gt;, сплатіть 1\xa0547,36\xa0₴")

    # Another school and another language keep the standard wording.
    assert (await stack.client.get(path, headers=as_account(uuid.uuid4()))).json()["overridden"] is False
    assert (await stack.client.delete(path, headers=mine)).status_code == 204
    assert (await stack.client.delete(path, headers=mine)).status_code == 404
    to = an_address()
    order = an_order(to, account_id=account, contact=ContactData(name="Olena", email=to, locale="uk"))
    await stack.publish(order)
    await stack.publish(a_link(order))
    [message] = await eventually(lambda: mailbox.messages_to(to))
    assert message["Subject"] == "Оплата замовлення №1042 — Kyiv Code School"


def closed(order: OrderCreated, version: int, status: str) -> OrderUpdated:
    return OrderUpdated.caused_by(
        order, order_id=order.order_id, order_number=order.order_number, order_version=version, status=status,
        contact_id=order.contact_id, contact=order.contact, currency=order.currency, lines=order.lines,
        discount="0", total=order.total, changed=["status"],
    )


async def test_a_cancelled_order_gets_no_links_or_reminders_but_its_receipt_and_reopened_sends_again(
    stack, mailbox, eventually
):
    to = an_address()
    order = an_order(to)
    cancel = closed(order, 2, "cancelled")
    await stack.publish(order)
    await stack.publish(cancel)
    await eventually(lambda: stack.applied(cancel))  # topics are not ordered with each other
    link = a_link(order)
    reminder = ReminderRequested.caused_by(
        order, order_id=order.order_id, payment_id=link.payment_id, amount="1547.36", currency="UAH", url=link.url)
    marker = "Maria Managerova"
    by_hand = a_payment(order).model_copy(update={"marked_by": marker, "method": "cash", "provider": None})
    for event in (link, reminder, by_hand):
        await stack.publish(event)
    rows = await stack.settled(order.order_id, 3)
    assert {r.template: (r.status, r.cancel_reason) for r in rows} == {
        "payment_link": ("cancelled", "order_cancelled"),
        "reminder": ("cancelled", "order_cancelled"), "receipt": ("sent", None),
    }
    [receipt] = await eventually(lambda: mailbox.messages_to(to))
    assert receipt["Subject"] == "Payment received for order #1042 at Kyiv Code School"
    assert all(marker not in part and "Maria" not in part for part in mailbox.parts(receipt))
    await asyncio.sleep(1.2)  # more than a poll of the sender: a cancelled email would be out by now
    assert len(mailbox.messages_to(to)) == 1

    mine = as_account(order.account_id)
    items = (await stack.client.get(f"/orders/{order.order_id}/notifications", headers=mine)).json()["items"]
    assert sorted((i["template"], i["status"], i["cancel_reason"]) for i in items) == [
        ("payment_link", "cancelled", "order_cancelled"), ("receipt", "sent", None),
        ("reminder", "cancelled", "order_cancelled"),
    ]
    never = next(i for i in items if i["template"] == "payment_link")
    refused = await stack.client.post(f"/notifications/{never['id']}/resend", headers=mine)
    assert refused.status_code == 409 and refused.headers["content-type"].startswith("application/problem+json")

    reopen = closed(order, 3, "active")
    await stack.publish(reopen)
    await eventually(lambda: stack.applied(reopen))
    again = a_link(order)
    await stack.publish(again)
    messages = await eventually(lambda: len(mailbox.messages_to(to)) == 2 and mailbox.messages_to(to))
    assert again.url in mailbox.parts(messages[1])[0]
    rows = await stack.settled(order.order_id, 4)
    assert [r.status for r in rows if r.event_id == again.event_id] == ["sent"]


async def test_an_access_suspended_for_an_overdue_payment_says_what_to_pay_and_where(stack, mailbox, eventually):
    to = an_address()
    order = an_order(to, contact=ContactData(name="Olena", email=to, locale="uk"))
    line = order.lines[0]
    quiet = a_link(order, amount="500.00", send_email=False, url="https://pay.example/p/1?sig=a&x=1")
    newer = quiet.model_copy(update={"event_id": uuid.uuid4(), "url": "https://pay.example/p/2?sig=b",
                                     "occurred_at": datetime.now(UTC)})

    def suspended(payment_id, **over):
        return AccessChanged.caused_by(
            order, order_id=order.order_id, line_id=line.line_id, product_id=line.product_id,
            product_title=line.product_title, contact_id=order.contact_id, status="suspended", reason="overdue",
            overdue_payment_id=payment_id, overdue_amount="500.00", currency="UAH", **over)

    await stack.publish(order)
    await stack.publish(newer)
    await eventually(lambda: stack.applied(newer))
    await stack.publish(quiet)  # an older link for the same payment, late: the newer one stays
    await eventually(lambda: stack.applied(quiet))
    await stack.publish(suspended(quiet.payment_id))
    [message] = await eventually(lambda: mailbox.messages_to(to))
    assert message["Subject"] == "Доступ до «Python course» призупинено — Kyiv Code School"
    text_part, html = mailbox.parts(message)
    for body in (text_part, html):
        assert "Прострочена сума: 500,00\xa0₴" in body
    assert "https://pay.example/p/2?sig=b" in text_part and 'href="https://pay.example/p/2?sig=b"' in html
    assert "p/1" not in text_part

    # A payment whose link was never seen for this order: the amount, and no link.
    other_line = OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Git", price="1.00")
    second = an_address()
    other = an_order(second, lines=[other_line], contact=ContactData(name="Olena", email=second, locale="uk"))
    await stack.publish(other)
    await stack.publish(AccessChanged.caused_by(
        other, order_id=other.order_id, line_id=other_line.line_id, product_id=other_line.product_id,
        product_title="Git", contact_id=other.contact_id, status="suspended", reason="overdue",
        overdue_payment_id=quiet.payment_id, overdue_amount="500.00", currency="UAH"))
    [message] = await eventually(lambda: mailbox.messages_to(second))
    text_part, html = mailbox.parts(message)
    assert "Прострочена сума: 500,00\xa0₴" in text_part and "href" not in html and "pay.example" not in text_part


async def test_delivery_logs_come_a_page_at_a_time_newest_first(stack, mailbox, eventually):
    to = an_address()
    account, contact = uuid.uuid4(), uuid.uuid4()
    order = an_order(to, account_id=account, contact_id=contact)
    await stack.publish(order)
    for _ in range(3):
        await stack.publish(a_link(order))
    await stack.settled(order.order_id, 3)
    other = an_order(to, account_id=account, contact_id=contact, order_number=1043)
    await stack.publish(other)
    await stack.publish(a_payment(other))  # recorded after the links: the newest
    await stack.settled(other.order_id, 1)
    mine = as_account(account)

    async def every_page(path: str, limit: int) -> list[list[dict]]:
        pages, cursor = [], None
        while True:
            params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
            response = await stack.client.get(path, params=params, headers=mine)
            assert response.status_code == 200, response.text
            body = response.json()
            pages.append(body["items"])
            cursor = body["next_cursor"]
            if cursor is None:
                return pages

    by_order = await every_page(f"/orders/{order.order_id}/notifications", 2)
    assert [len(p) for p in by_order] == [2, 1]
    flat = [i for p in by_order for i in p]
    assert len({i["id"] for i in flat}) == 3
    keys = [(i["created_at"], i["id"]) for i in flat]
    assert keys == sorted(keys, reverse=True)

    by_contact = await every_page(f"/contacts/{contact}/notifications", 1)
    assert [len(p) for p in by_contact] == [1, 1, 1, 1]
    flat = [i for p in by_contact for i in p]
    assert flat[0]["template"] == "receipt"  # the newest
    assert {i["order_id"] for i in flat} == {str(order.order_id), str(other.order_id)}

    exact = await stack.client.get(f"/orders/{order.order_id}/notifications", params={"limit": 3}, headers=mine)
    assert len(exact.json()["items"]) == 3 and exact.json()["next_cursor"] is None
    for bad in ("nope", "bm9wZQ", "WyJ4IiwgInkiXQ"):
        refused = await stack.client.get(f"/orders/{order.order_id}/notifications", params={"cursor": bad},
                                         headers=mine)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in refused.json()["errors"]] == ["cursor"]
    for limit in (0, 501):
        assert (await stack.client.get(f"/contacts/{contact}/notifications", params={"limit": limit},
                                       headers=mine)).status_code == 422


async def test_a_template_language_is_any_tag_of_a_language_the_templates_are_written_in(stack):
    mine = as_account(uuid.uuid4())
    for tag in ("uk-UA", "uk_UA.UTF-8", "UK"):
        shown = await stack.client.get(f"/templates/payment_link/{tag}", headers=mine)
        assert shown.status_code == 200, (tag, shown.text)
        assert shown.json()["locale"] == "uk"
    for tag in ("sv", "sv-SE", "uk--UA"):
        refused = await stack.client.get(f"/templates/payment_link/{tag}", headers=mine)
        assert refused.status_code == 422, (tag, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == ["path.locale"], tag
    refused = await stack.client.get("/templates/payment_link/sv", headers=mine)
    assert "not written in 'sv'" in refused.json()["errors"][0]["message"]
