"""Payment status is derived from the total and the money received."""

import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from orders.domain.order import Order, PaymentMismatch, PaymentStatus, becomes_fully_paid, payment_status

cents = st.integers(min_value=0, max_value=10**10).map(lambda n: Decimal(n).scaleb(-2))


@pytest.mark.parametrize(
    "total, paid, expected",
    [("100.00", "0", "not_paid"), ("100.00", "0.01", "partially_paid"), ("100.00", "100.00", "paid"),
     ("100.00", "100.01", "overpaid"), ("0", "0", "paid")],
)
def test_status_table(total, paid, expected):
    assert payment_status(Decimal(total), Decimal(paid)) == PaymentStatus(expected)


@given(total=cents, parts=st.lists(cents, max_size=8))
def test_paying_in_parts_adds_up_to_the_cent(total, parts):
    order = Order(id=uuid.uuid4(), account_id=uuid.uuid4(), number=1, currency="UAH", total=total)
    for part in parts:
        order.record_payment(uuid.uuid4(), part, "UAH")
    assert order.paid == sum(parts, Decimal(0))
    assert order.due == max(total - order.paid, Decimal(0))
    if order.paid == total:
        assert order.status is PaymentStatus.PAID
    elif order.paid > total:
        assert order.status is PaymentStatus.OVERPAID


def test_one_payment_is_counted_once_and_in_the_order_currency_only():
    order = Order(id=uuid.uuid4(), account_id=uuid.uuid4(), number=1, currency="UAH", total=Decimal("10.00"))
    payment = uuid.uuid4()
    assert order.record_payment(payment, Decimal("10.00"), "UAH")
    assert not order.record_payment(payment, Decimal("10.00"), "UAH")
    assert order.paid == Decimal("10.00")
    with pytest.raises(PaymentMismatch):
        order.record_payment(uuid.uuid4(), Decimal("1.00"), "USD")


def test_only_the_change_that_completes_the_payment_settles_the_order():
    assert becomes_fully_paid("partially_paid", "paid") and becomes_fully_paid("not_paid", "overpaid")
    assert not becomes_fully_paid("paid", "overpaid") and not becomes_fully_paid("paid", "partially_paid")
    assert not becomes_fully_paid("not_paid", "partially_paid")
