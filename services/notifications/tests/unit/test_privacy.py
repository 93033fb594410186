"""Nothing but the recipient's own order reaches an email, whatever the events carry, in any template and locale."""

import re
import uuid
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import pytest
from contracts import (
    AccessChanged, ContactData, OrderCreated, OrderLine, OrderUpdated, PaymentLinkIssued, PaymentSucceeded,
    PlannedPayment, ReminderRequested,
)
from notifications.domain import letters
from notifications.domain.letters import ALL_VARIABLES, HIDDEN, SUPPORTED_LOCALES, TEMPLATE_VARIABLES, Letter
from notifications.domain.recipient import OrderRecipient
from notifications.rendering import render

PHONE = "+380509998877"
COMMENT = "INTERNAL-NOTE-manager-only"
OTHER_NAME = "Someone Else Entirely"
OTHER_EMAIL = "someone.else@example.org"
# Who marked a payment paid by hand: a team member, never named to the contact.
MARKED_BY = "Maria Managerova <maria.manager@school.example>"


def events(locale: str):
    """One event of each kind about one order, the order's internal details set to markers."""
    account, order_id, contact_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    created = OrderCreated(
        account_id=account, correlation_id=uuid.uuid4(), order_id=order_id, order_number=77,
        school_name="Kyiv Code School", contact_id=contact_id,
        contact=ContactData(name="Olena Kovalenko", email="olena@example.com", phone=PHONE, locale=locale),
        currency="UAH",
        lines=[OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Python course", price="900.00"),
               OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="SQL basics", price="600.00")],
        discount="0", total="1500.00", provider="sandbox", source="manual", send_confirmation=True,
        payment_plan=[
            PlannedPayment(amount="500.00", method="cash", paid_at=now, comment=COMMENT),
            PlannedPayment(amount="1000.00", due_at=now + timedelta(days=3), comment=COMMENT),
        ],
    )
    order = OrderRecipient.from_event(created)
    common = dict(order_id=order_id, payment_id=uuid.uuid4(), amount="1000.00", currency="UAH")
    access = dict(order_id=order_id, line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="SQL basics",
                  contact_id=contact_id, ends_at=now + timedelta(days=90))
    built = [
        letters.order_confirmation(order, created),
        letters.payment_link(order, PaymentLinkIssued.caused_by(
            created, **common, provider="sandbox", url="https://pay.example/p/1", due_at=now + timedelta(days=3),
            occurred_at=now)),
        letters.reminder(order, ReminderRequested.caused_by(
            created, **common, url="https://pay.example/p/1", due_at=now - timedelta(days=1))),
        letters.receipt(order, PaymentSucceeded.caused_by(created, **common, provider="sandbox", paid_at=now)),
        letters.receipt(order, PaymentSucceeded.caused_by(
            created, **common, provider=None, method="cash", paid_at=now, marked_by=MARKED_BY)),
        letters.access_change(order, AccessChanged.caused_by(created, **access, status="open", reason="paid"), None),
        letters.access_change(
            order, AccessChanged.caused_by(created, **access, status="suspended", reason="overdue"), "open"),
        letters.access_change(
            order, AccessChanged.caused_by(
                created, **access, status="suspended", reason="overdue", overdue_payment_id=common["payment_id"],
                overdue_amount="1000.00", currency="UAH"),
            "open", link="https://pay.example/p/1"),
    ]
    return order, [b for b in built if b is not None]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_email_shows_only_the_recipients_own_order(locale):
    order, built = events(locale)
    assert set(b.template for b in built) == set(letters.TEMPLATES)
    for letter in built:
        rendered = render(letter)
        for part in (rendered.subject, rendered.text, rendered.html):
            # Internal and other people's data: never, in any form.
            for secret in (PHONE, COMMENT, OTHER_NAME, OTHER_EMAIL, MARKED_BY, "Maria", "maria.manager",
                           str(order.account_id), str(order.contact_id), str(order.order_id), str(letter.event_id)):
                assert secret not in part, (letter.template, locale, secret)
            assert "Kyiv Code School" in part
        assert "Olena Kovalenko" in rendered.text and "Olena Kovalenko" in rendered.html
        # The only links are the payment link: no tracking, no other addresses.
        links = set(re.findall(r'href="([^"]+)"', rendered.html))
        assert links <= {"https://pay.example/p/1"}
        assert set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", rendered.text + rendered.html)) <= {"olena@example.com"}


def test_a_changed_contact_gets_their_own_name_and_address_and_nothing_of_the_former():
    order, _ = events("en")
    updated = order.updated(OrderUpdated(
        account_id=order.account_id, correlation_id=uuid.uuid4(), order_id=order.order_id, order_number=77,
        order_version=2, contact_id=uuid.uuid4(), contact=ContactData(name=OTHER_NAME, email=OTHER_EMAIL, locale="de"),
        currency="UAH", lines=[], discount="0", total="1500.00",
    ))
    link = PaymentLinkIssued(
        account_id=order.account_id, correlation_id=uuid.uuid4(), order_id=order.order_id, payment_id=uuid.uuid4(),
        amount="1000.00", currency="UAH", provider="sandbox", url="https://pay.example/p/1",
    )
    letter = letters.payment_link(updated, link)
    assert (letter.to, letter.locale, letter.contact_id) == (OTHER_EMAIL, "de", updated.contact_id)
    rendered = render(letter)
    assert OTHER_NAME in rendered.text and "Olena" not in rendered.text + rendered.html


def test_templates_see_a_fixed_list_of_values():
    assert set(ALL_VARIABLES) == {
        "to", "locale", "school_name", "contact_name", "order_number", "products", "currency", "total", "amount",
        "url", "due_at", "days_left", "paid_at", "overdue", "starts_at", "ends_at", "lines", "installments",
    }
    _, built = events("en")
    for letter in built:
        assert not {"account_id", "order_id", "contact_id", "event_id"} & set(letter.template_values())
        assert replace(letter, contact_id=None).template_values() == letter.template_values()


def test_each_template_sees_exactly_the_values_its_email_has():
    assert set(TEMPLATE_VARIABLES) == set(letters.TEMPLATES)
    assert set().union(*TEMPLATE_VARIABLES.values()) == ALL_VARIABLES
    defaults = {f.name: f.default for f in fields(Letter) if f.name not in HIDDEN}
    seen: set[str] = set()
    for locale in ("en", "uk"):
        _, built = events(locale)
        for letter in built:
            set_here = {name for name, default in defaults.items() if getattr(letter, name) != default}
            assert set_here <= set(TEMPLATE_VARIABLES[letter.template]), (letter.template, set_here)
            assert set(letter.template_values()) == set(TEMPLATE_VARIABLES[letter.template])
            seen.add(letter.template)
    assert seen == set(letters.TEMPLATES)
