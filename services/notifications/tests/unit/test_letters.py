"""Which email an event calls for, and the rules of retrying: no I/O."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from contracts import (
    AccessChanged, ContactData, OrderCreated, OrderLine, PaymentLinkIssued, PaymentSucceeded, PlannedPayment,
    ReminderRequested,
)
from notifications.domain import letters
from notifications.domain.delivery import Logged, NotResendable, RetryPolicy, after_failure, check_resend
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
    [(None, "en"), ("", "en"), ("en", "en"), ("en-GB", "en"), ("uk", "uk"), ("uk-UA", "uk"), ("pl_PL", "pl"),
     ("de-AT", "de"), ("fr_CA", "fr"), ("it", "it"), ("ru", "ru"), ("xx_YY", "en")],
)
def test_locale_falls_back_to_what_is_translated(wanted, chosen):
    assert choose_locale(wanted) == chosen


def test_locale_prefers_the_exact_tag_then_the_language():
    supported = ("en", "pt", "pt_BR", "uk")
    assert choose_locale("pt-BR", supported=supported) == "pt_BR"
    assert choose_locale("pt_PT", supported=supported) == "pt"
    assert choose_locale("UK", supported=supported) == "uk"


def test_locale_is_the_contacts_then_the_schools_then_english():
    assert choose_locale("pl", "uk") == "pl"
    assert choose_locale(None, "uk") == "uk"
    assert choose_locale("es", None, "de") == "de"  # not translated: the school's language
    assert choose_locale("es", "pt") == "en"
    order = an_order(locale=None, school_locale="fr")
    assert letters.payment_link(order, a_link(order)).locale == "fr"
    italian = an_order(locale="it", school_locale="fr")
    assert letters.payment_link(italian, a_link(italian)).locale == "it"


def test_payment_link_letter_carries_only_what_the_contact_may_see():
    order = an_order()
    due = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    letter = letters.payment_link(order, a_link(order, due_at=due))
    assert letter is not None
    assert (letter.template, letter.to, letter.locale) == ("payment_link", "olena@example.com", "uk")
    assert letter.amount == Decimal("1547.36") and letter.due_at == due
    assert set(letter.template_values()) == {
        "to", "locale", "school_name", "contact_name", "order_number", "products", "amount", "currency", "total",
        "url", "due_at", "days_left",
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


def test_only_a_refusal_for_good_marks_the_address_refused():
    policy = RetryPolicy(max_attempts=4)
    assert after_failure(1, permanent=True, policy=policy).refused
    assert not after_failure(4, permanent=False, policy=policy).refused  # out of tries, never refused
    assert not after_failure(1, permanent=False, policy=policy).refused


def test_a_refused_delivery_is_resent_only_when_asked_to():
    refused = Logged("failed", "bounce@example.com", refused=True, last_error="550 5.1.1 No such mailbox")
    with pytest.raises(NotResendable) as caught:
        check_resend(refused, to_refused_address=False)
    assert caught.value.facts == {"recipient": "bounce@example.com", "refusal": "550 5.1.1 No such mailbox"}
    assert "bounce@example.com" in caught.value.detail and "550 5.1.1" in caught.value.detail
    check_resend(refused, to_refused_address=True)
    # Given up after its tries (the server never refused it), or sent: no flag needed.
    check_resend(Logged("failed", "a@example.com", last_error="SMTPConnectError: down"), to_refused_address=False)
    check_resend(Logged("sent", "a@example.com"), to_refused_address=False)
    for status in ("pending", "cancelled"):
        with pytest.raises(NotResendable):
            check_resend(Logged(status, "a@example.com"), to_refused_address=True)


def test_days_left_count_calendar_days_from_the_event():
    order = an_order()
    issued = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    days = lambda due: letters.payment_link(order, a_link(order, due_at=due, occurred_at=issued)).days_left  # noqa: E731
    assert days(datetime(2026, 11, 25, 1, 0, tzinfo=UTC)) == 5
    assert days(datetime(2026, 11, 20, 23, 30, tzinfo=UTC)) == 0
    assert days(datetime(2026, 11, 19, tzinfo=UTC)) is None
    assert days(None) is None


def an_access(order: OrderRecipient, status: str, reason: str = "paid") -> AccessChanged:
    return AccessChanged(
        account_id=order.account_id, correlation_id=uuid.uuid4(), order_id=order.order_id, line_id=uuid.uuid4(),
        product_id=uuid.uuid4(), product_title="SQL basics", contact_id=uuid.uuid4(), status=status, reason=reason,
        ends_at=datetime(2027, 1, 1, tzinfo=UTC),
    )


def test_access_emails_only_when_the_state_changes():
    order = an_order()
    opened = letters.access_change(order, an_access(order, "open"), previous=None)
    assert opened.template == "access_opened" and opened.products == ("SQL basics",)
    assert opened.ends_at == datetime(2027, 1, 1, tzinfo=UTC)
    assert letters.access_change(order, an_access(order, "open", "terms_changed"), previous="open") is None
    assert letters.access_change(order, an_access(order, "open", "resumed"), previous="suspended").template == (
        "access_opened"
    )
    late = letters.access_change(order, an_access(order, "suspended", "overdue"), previous="open")
    assert late.template == "access_suspended" and late.overdue
    for quiet in ("scheduled", "ended", "revoked"):
        assert letters.access_change(order, an_access(order, quiet), previous=None) is None
    with pytest.raises(LetterRefused):
        letters.access_change(order, an_access(an_order(), "open"), previous=None)


def test_order_confirmation_only_when_asked_and_without_internal_notes():
    order = an_order()
    paid_at = datetime(2026, 11, 1, tzinfo=UTC)
    created = OrderCreated(
        account_id=order.account_id, correlation_id=uuid.uuid4(), order_id=order.order_id, order_number=17,
        school_name="Kyiv Code School", contact_id=uuid.uuid4(), contact=ContactData(name="Olena", email="o@example.com"),
        currency="UAH", lines=[OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Python course",
                                         price="1547.36")],
        discount="0", total="1547.36", provider="sandbox", source="manual", send_confirmation=True,
        payment_plan=[
            PlannedPayment(amount="500.00", method="cash", paid_at=paid_at, comment="cash at the front desk"),
            PlannedPayment(amount="1047.36", due_at=datetime(2026, 12, 1, tzinfo=UTC)),
        ],
    )
    letter = letters.order_confirmation(order, created)
    assert letter.template == "order_confirmation" and letter.amount == Decimal("1047.36")
    assert [i.paid_at for i in letter.installments] == [paid_at, None]
    assert "cash at the front desk" not in repr(letter.template_values())
    assert letters.order_confirmation(order, created.model_copy(update={"send_confirmation": False})) is None


def test_a_suspension_for_an_overdue_payment_names_the_amount_and_offers_its_link():
    order = an_order()
    overdue = an_access(order, "suspended", "overdue").model_copy(update={
        "overdue_payment_id": uuid.uuid4(), "overdue_amount": Decimal("500.00"), "currency": "UAH"})
    letter = letters.access_change(order, overdue, previous="open", link="https://pay.example/p/9")
    assert (letter.amount, letter.currency, letter.url, letter.overdue) == (
        Decimal("500.00"), "UAH", "https://pay.example/p/9", True)
    unknown_link = letters.access_change(order, overdue, previous="open")
    assert (unknown_link.amount, unknown_link.url) == (Decimal("500.00"), None)
    # Without its currency the amount is in the order's.
    bare = overdue.model_copy(update={"currency": None})
    assert letters.access_change(order, bare, previous="open").amount == Decimal("500.00")
    # No amount: nothing to pay is named, and no link is offered on its own.
    plain = letters.access_change(order, an_access(order, "suspended", "overdue"), previous="open",
                                  link="https://x.example/")
    assert (plain.amount, plain.url) == (None, None)
    # An opened access says nothing about money.
    opened = letters.access_change(order, overdue.model_copy(update={"status": "open"}), previous="suspended",
                                   link="https://pay.example/p/9")
    assert (opened.amount, opened.url) == (None, None)
    with pytest.raises(LetterRefused):
        letters.access_change(order, overdue.model_copy(update={"currency": "EUR"}), previous="open")
    with pytest.raises(LetterRefused):
        letters.access_change(order, overdue, previous="open", link="javascript:alert(1)")


def test_only_emails_asking_to_pay_are_cancelled_and_only_for_a_closed_order():
    from notifications.domain.delivery import ASKS_TO_PAY, cancel_reason

    assert set(ASKS_TO_PAY) == {"payment_link", "reminder"}
    assert cancel_reason("active") is None
    assert (cancel_reason("cancelled"), cancel_reason("expired")) == ("order_cancelled", "order_expired")
