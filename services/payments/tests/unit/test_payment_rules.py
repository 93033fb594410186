"""More of the payment aggregate's rules, the reminder schedule and provider decoding, without I/O."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from payments.adapters.stripe_checkout import to_minor
from payments.domain.payment import AmountMismatch, Link, NotEditable, NotPayable, Outcome, Payment
from payments.domain.reminders import ScheduleInvalid, normalized_offsets, reminder_times

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def unpaid(amount: str = "1500.00", **kwargs: object) -> Payment:
    return Payment(account_id=uuid.uuid4(), order_id=uuid.uuid4(), number=1, amount=Decimal(amount),
                   currency="UAH", provider="stripe", **kwargs)


def test_a_refund_counts_only_what_is_new_and_a_full_one_closes_the_payment():
    payment = unpaid()
    payment.mark_paid(Decimal("1500"), "UAH", at=NOW)
    assert payment.record_refund(Decimal("500"), "UAH") == Decimal("500.00")
    assert payment.record_refund(Decimal("500"), "UAH") == 0
    assert payment.record_refund(Decimal("200"), "UAH") == 0  # an older report, late
    assert payment.status == "paid"
    assert payment.record_refund(Decimal("1500"), "UAH") == Decimal("1000.00")
    assert (payment.status, payment.refunded_amount) == ("refunded", Decimal("1500"))
    with pytest.raises(AmountMismatch):
        payment.record_refund(Decimal("1600"), "UAH")


def test_nothing_unpaid_can_be_refunded_and_no_other_currency():
    with pytest.raises(NotPayable):
        unpaid().record_refund(Decimal("1"), "UAH")
    paid = unpaid()
    paid.mark_paid(Decimal("1500"), "UAH", at=NOW)
    with pytest.raises(AmountMismatch):
        paid.record_refund(Decimal("1"), "EUR")


def test_only_an_unpaid_payment_is_cancelled_edited_or_rescheduled():
    payment = unpaid(due_at=NOW, overdue_notified_at=NOW)
    payment.reschedule(NOW + timedelta(days=1))
    assert payment.overdue_notified_at is None
    assert payment.change_amount(Decimal("1400")) is True
    assert payment.change_amount(Decimal("1400.00")) is False
    with pytest.raises(NotEditable) as scale:
        payment.change_amount(Decimal("1.001"))
    assert scale.value.field == "amount"
    payment.attach_link(Link(url="https://pay.example/x"))
    payment.cancel()
    assert (payment.status, payment.link_url) == ("cancelled", None)
    for change in (payment.cancel, lambda: payment.reschedule(NOW), lambda: payment.change_amount(Decimal(1))):
        with pytest.raises(NotEditable):
            change()


def test_mark_paid_by_hand_keeps_the_comment_method_and_reference():
    payment = unpaid()
    outcome = payment.mark_paid_by_hand(at=NOW, comment="cash at the desk", method="cash", external_reference="R-1")
    assert outcome is Outcome.PAID
    assert (payment.status, payment.comment, payment.method, payment.provider_reference) == (
        "paid", "cash at the desk", "cash", "R-1")
    assert payment.mark_paid_by_hand(at=NOW, comment="again") is Outcome.ALREADY_PAID
    with pytest.raises(NotPayable):
        unpaid(status="cancelled").mark_paid_by_hand(at=NOW, comment="x")


def test_a_link_is_usable_until_shortly_before_it_expires_and_a_fresh_one_has_a_new_generation():
    payment = unpaid()
    assert not payment.link_usable(NOW)
    payment.attach_link(Link(url="u", provider_reference="cs_1", expires_at=NOW + timedelta(hours=1)))
    assert payment.link_usable(NOW)
    assert not payment.link_usable(NOW + timedelta(minutes=55))
    assert payment.want_fresh_link() == 1 and payment.link_url is None
    assert payment.want_fresh_link() == 2
    payment.attach_link(Link(url="u2", provider_reference="cs_2"))
    assert payment.forget_link("cs_1") is False and payment.link_url == "u2"
    assert payment.forget_link("cs_2") is True and payment.link_url is None
    with pytest.raises(NotPayable):
        unpaid(method="cash").want_fresh_link()


def test_reminders_are_planned_only_ahead_of_now():
    due = NOW + timedelta(hours=30)
    assert reminder_times(due, [-72, -24, 24, 72], now=NOW) == [
        (-24, NOW + timedelta(hours=6)), (24, NOW + timedelta(hours=54)), (72, NOW + timedelta(hours=102)),
    ]


def test_a_schedule_is_sorted_unique_and_sane():
    assert normalized_offsets([24, -72, 24, -24]) == [-72, -24, 24]
    with pytest.raises(ScheduleInvalid):
        normalized_offsets([24 * 366])
    with pytest.raises(ScheduleInvalid):
        normalized_offsets(range(11))


def test_an_amount_stripe_cannot_express_is_refused():
    with pytest.raises(ValueError):
        to_minor(Decimal("10.5"), "JPY")
