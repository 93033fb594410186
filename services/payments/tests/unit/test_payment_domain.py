"""The payment aggregate's rules, without I/O."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from contracts import ContactData
from payments.adapters.sandbox import SandboxProvider
from payments.domain.payment import (
    AmountMismatch, Link, LinkOrder, NotPayable, Outcome, Payment, PaymentPart, PlanInvalid, UnknownProvider,
    check_parts, first_open, main_method, plan_payments,
    provider_for,
)

PAID_AT = datetime(2030, 1, 1, 9, 30, tzinfo=UTC)


def unpaid(amount: str = "1500.00", currency: str = "UAH", **kwargs: object) -> Payment:
    return Payment(
        account_id=uuid.uuid4(), order_id=uuid.uuid4(), number=1, amount=Decimal(amount), currency=currency,
        provider="sandbox", **kwargs,
    )


def test_an_unpaid_payment_becomes_paid_once():
    payment = unpaid()
    assert payment.mark_paid(Decimal("1500.00"), "UAH", at=PAID_AT, provider_reference="txn-1") is Outcome.PAID
    assert (payment.status, payment.paid_at, payment.provider_reference, payment.attempts) == (
        "paid", PAID_AT, "txn-1", 1,
    )
    later = datetime(2030, 1, 2, tzinfo=UTC)
    assert payment.mark_paid(Decimal("1500.00"), "UAH", at=later, provider_reference="txn-2") is Outcome.ALREADY_PAID
    assert (payment.paid_at, payment.provider_reference, payment.attempts) == (PAID_AT, "txn-1", 1)


def test_the_amount_may_be_written_with_any_scale():
    payment = unpaid("1500.00")
    assert payment.mark_paid(Decimal("1500"), "UAH", at=PAID_AT) is Outcome.PAID


@pytest.mark.parametrize("amount, currency", [("1499.99", "UAH"), ("1500.01", "UAH"), ("1500.00", "USD")])
def test_a_different_amount_or_currency_never_settles_a_payment(amount, currency):
    payment = unpaid()
    with pytest.raises(AmountMismatch):
        payment.mark_paid(Decimal(amount), currency, at=PAID_AT)
    assert (payment.status, payment.paid_at, payment.attempts) == ("unpaid", None, 0)


@pytest.mark.parametrize("status", ["cancelled", "refunded", "failed"])
def test_a_closed_payment_cannot_be_paid(status):
    payment = unpaid(status=status)
    with pytest.raises(NotPayable):
        payment.mark_paid(Decimal("1500.00"), "UAH", at=PAID_AT)
    assert payment.status == status


def test_a_decline_counts_an_attempt_and_keeps_the_payment_payable():
    payment = unpaid()
    assert payment.record_declined("Insufficient funds") is Outcome.DECLINED
    assert payment.record_declined("   ") is Outcome.DECLINED
    assert (payment.status, payment.attempts, payment.last_failure) == ("unpaid", 2, "declined")
    assert payment.mark_paid(Decimal("1500.00"), "UAH", at=PAID_AT) is Outcome.PAID
    assert payment.attempts == 3


def test_a_decline_of_a_paid_payment_changes_nothing():
    payment = unpaid()
    payment.mark_paid(Decimal("1500.00"), "UAH", at=PAID_AT)
    assert payment.record_declined("late decline") is Outcome.NOT_OPEN
    assert (payment.status, payment.attempts, payment.last_failure) == ("paid", 1, None)


def test_a_long_failure_reason_is_cut():
    payment = unpaid()
    payment.record_declined("x" * 10_000)
    assert len(payment.last_failure or "") == 500


def test_the_plan_becomes_numbered_unpaid_payments(order_created):
    order = order_created(plan=[("prepayment", "500.00"), ("surcharge", "700.00"), ("surcharge", "300.00")])
    payments = plan_payments(order)
    assert [(p.number, p.type, p.amount, p.status) for p in payments] == [
        (1, "prepayment", Decimal("500.00"), "unpaid"),
        (2, "surcharge", Decimal("700.00"), "unpaid"),
        (3, "surcharge", Decimal("300.00"), "unpaid"),
    ]
    assert all(p.order_id == order.order_id and p.account_id == order.account_id for p in payments)
    assert all(p.currency == "UAH" and p.provider == "sandbox" and p.method == "cashless" for p in payments)
    assert [p.closes_access for p in payments] == [False, True, True]
    assert [p.due_at for p in payments] == [pp.due_at for pp in order.payment_plan]
    assert first_open(payments) is payments[0]
    payments[0].mark_paid(Decimal("500.00"), "UAH", at=PAID_AT)
    assert first_open(payments) is payments[1]


@pytest.mark.parametrize(
    "plan, currency, field",
    [([("regular", "-1.00")], "UAH", "payment_plan.0.amount"),
     ([("regular", "10.00"), ("surcharge", "10.001")], "UAH", "payment_plan.1.amount"),
     ([("regular", "10.50")], "JPY", "payment_plan.0.amount")],
)
def test_a_bad_plan_is_refused(order_created, plan, currency, field):
    with pytest.raises(PlanInvalid) as caught:
        plan_payments(order_created(plan=plan, currency=currency))
    assert caught.value.field == field


def test_link_issued_follows_the_order_created_event(order_created):
    order = order_created(send_payment_link=False)
    payment = plan_payments(order)[0]
    payment.attach_link(Link(url="https://pay.example/1", provider_reference="ref-1"))
    event = payment.link_issued(order, send_email=order.send_payment_link)
    assert (event.account_id, event.correlation_id, event.causation_id) == (
        order.account_id, order.correlation_id, order.event_id,
    )
    assert (event.order_id, event.payment_id, event.checkout_id) == (order.order_id, payment.id, order.checkout_id)
    assert (event.url, event.amount, event.currency, event.send_email) == (
        "https://pay.example/1", Decimal("1500.00"), "UAH", False,
    )


def test_payment_succeeded_carries_the_purchase_correlation(order_created):
    order = order_created()
    payment = plan_payments(order)[0]
    payment.mark_paid(Decimal("1500.00"), "UAH", at=PAID_AT, provider_reference="txn-9")
    event = payment.succeeded(fallback_correlation_id=uuid.uuid4())
    assert event.correlation_id == order.correlation_id
    assert (event.amount, event.currency, event.paid_at, event.provider_reference) == (
        Decimal("1500.00"), "UAH", PAID_AT, "txn-9",
    )


def test_a_paid_payment_needs_no_link():
    payment = unpaid(status="paid")
    with pytest.raises(NotPayable):
        payment.attach_link(Link(url="https://pay.example/1"))


async def test_the_sandbox_links_to_its_own_page():
    payment = unpaid()
    link = await SandboxProvider("https://pay.example/").create_link(LinkOrder(
        payment=payment, contact=ContactData(name="A", email="a@example.com"), description="order 1",
        generation=1, settings={},
    ))
    assert link.url == f"https://pay.example/sandbox/pay/{payment.id}"
    assert link.expires_at is None


def test_an_unknown_provider_is_named():
    with pytest.raises(UnknownProvider, match="stripe"):
        provider_for({"sandbox": SandboxProvider("http://x")}, "stripe")


def test_marked_by_hand_names_the_team_member_and_a_provider_names_nobody():
    by_hand = unpaid()
    by_hand.mark_paid_by_hand(at=PAID_AT, comment="cash", method="cash", marked_by="user-1")
    assert by_hand.succeeded(fallback_correlation_id=uuid.uuid4()).marked_by == "user-1"
    by_provider = unpaid()
    by_provider.mark_paid(Decimal("1500.00"), "UAH", at=PAID_AT)
    assert by_provider.succeeded(fallback_correlation_id=uuid.uuid4()).marked_by is None


def test_split_parts_must_add_up_exactly_and_the_largest_names_the_method():
    parts = [PaymentPart("cash", Decimal("500")), PaymentPart("bank_transfer", Decimal("1000"), "PP-1")]
    checked = check_parts(parts, Decimal("1500.00"), "UAH")
    assert [p.amount for p in checked] == [Decimal("500.00"), Decimal("1000.00")]
    assert main_method(checked) == "bank_transfer"
    # Equal parts: the first one given.
    assert main_method(check_parts([PaymentPart("other", Decimal(1)), PaymentPart("cash", Decimal(1))],
                                   Decimal(2), "EUR")) == "other"
    for bad, field in (
        ([PaymentPart("cash", Decimal("1499.99"))], "parts"),
        ([PaymentPart("cash", Decimal("1500.01"))], "parts"),
        ([PaymentPart("cash", Decimal("1600")), PaymentPart("cash", Decimal("-100"))], "parts.1.amount"),
        ([PaymentPart("cash", Decimal("0.001")), PaymentPart("cash", Decimal("1499.999"))], "parts.0.amount"),
        ([], "parts"),
    ):
        with pytest.raises(PlanInvalid) as caught:
            check_parts(bad, Decimal("1500.00"), "UAH")
        assert caught.value.field == field


def test_a_split_payment_is_paid_once_under_its_main_method():
    payment = unpaid("100.00", "EUR")
    with pytest.raises(PlanInvalid):
        payment.mark_paid_by_hand(at=PAID_AT, comment="x", parts=[PaymentPart("cash", Decimal(99))])
    assert (payment.status, payment.parts) == ("unpaid", ())
    outcome = payment.mark_paid_by_hand(
        at=PAID_AT, comment="x", marked_by="u",
        parts=[PaymentPart("cash", Decimal(30)), PaymentPart("other", Decimal(70))],
    )
    assert (outcome, payment.status, payment.method, len(payment.parts)) == (Outcome.PAID, "paid", "other", 2)
    assert payment.mark_paid_by_hand(at=PAID_AT, comment="y", parts=[]) is Outcome.ALREADY_PAID
    assert len(payment.parts) == 2
