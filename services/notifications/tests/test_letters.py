"""Which email an event calls for, and the rules of retrying: no I/O."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from contracts import PaymentLinkIssued, PaymentSucceeded, ReminderRequested
from notifications.domain import letters
from notifications.domain.delivery import RetryPolicy, after_failure
from notifications.domain.letters import LetterRefused, choose_locale
from notifications.domain.recipient import OrderRecipient


def an_order(**over) -> OrderRecipient:
    values = dict(
        order_id=uuid.uuid4(), account_id=uuid.uuid4(), order_number=17, school_name="Kyiv Code School",
        contact_name="Olena", contact_email="olena@example.com", locale="uk", currency="UAH",
        total=Decimal("1547.36"), products=("Python course",),
    )
    return OrderRecipient(**(values | over))


def a_link(order: OrderRecipient, **over) -> PaymentLinkIssued:
    values = dict(
        account_id=order.account_id, correlation_id=uuid.uuid4(), order_id=order.order_id, payment_id=uuid.uuid4(),
        amount="1547.36", currency="UAH", provider="sandbox", url="https://pay.example/p/1",
    )
    return PaymentLinkIssued(**(values | over))


@pytest.mark.parametrize(
    "wanted, chosen",
    [(None, "en"), ("", "en"), ("en", "en"), ("en-GB", "en"), ("en_US", "en"), ("uk", "en"), ("xx_YY", "en")],
)
def test_locale_falls_back_to_what_is_translated(wanted, chosen):
    assert choose_locale(wanted) == chosen


def test_locale_prefers_the_exact_tag_then_the_language():
    supported = ("en", "pt", "pt_BR", "uk")
    assert choose_locale("pt-BR", supported) == "pt_BR"
    assert choose_locale("pt_PT", supported) == "pt"
    assert choose_locale("UK", supported) == "uk"


def test_payment_link_letter_carries_only_what_the_contact_may_see():
    order = an_order()
    due = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    letter = letters.payment_link(order, a_link(order, due_at=due))
    assert letter is not None
    assert (letter.template, letter.to, letter.locale) == ("payment_link", "olena@example.com", "en")
    assert letter.amount == Decimal("1547.36") and letter.due_at == due
    assert set(letter.template_values()) == {
        "to", "locale", "school_name", "contact_name", "order_number", "products", "amount", "currency", "total",
        "url", "due_at", "paid_at", "overdue",
    }


def test_no_email_when_the_link_was_issued_without_one():
    order = an_order()
    assert letters.payment_link(order, a_link(order, send_email=False)) is None


@pytest.mark.parametrize(
    "over",
    [{"account_id": uuid.uuid4()}, {"currency": "EUR"}, {"url": "javascript:alert(1)"}, {"url": "pay.example/p"}],
)
def test_events_that_contradict_the_order_are_refused(over):
    order = an_order()
    with pytest.raises(LetterRefused):
        letters.payment_link(order, a_link(order, **over))


def test_receipt_and_reminder():
    order = an_order()
    paid = letters.receipt(order, PaymentSucceeded(
        account_id=order.account_id, correlation_id=uuid.uuid4(), order_id=order.order_id, payment_id=uuid.uuid4(),
        amount="500.00", currency="UAH", paid_at=datetime(2026, 11, 20, tzinfo=UTC)))
    assert paid.template == "receipt" and paid.amount == Decimal("500.00")
    now = datetime.now(UTC)
    remind = dict(account_id=order.account_id, correlation_id=uuid.uuid4(), order_id=order.order_id,
                  payment_id=uuid.uuid4(), amount="500.00", currency="UAH", url="https://pay.example/r")
    late = letters.reminder(order, ReminderRequested(**remind, due_at=now - timedelta(days=1)))
    early = letters.reminder(order, ReminderRequested(**remind, due_at=now + timedelta(days=1)))
    assert late.overdue and not early.overdue and late.url == "https://pay.example/r"


def test_retries_back_off_up_to_a_cap_and_give_up_in_the_end():
    policy = RetryPolicy(first=5, cap=60, max_attempts=4)
    assert [policy.delay(n) for n in range(1, 6)] == [5, 10, 20, 40, 60]
    assert after_failure(1, permanent=False, policy=policy).retry_in == 5
    assert after_failure(1, permanent=False, policy=policy).status == "pending"
    assert after_failure(1, permanent=True, policy=policy).status == "failed"
    assert after_failure(4, permanent=False, policy=policy).status == "failed"
