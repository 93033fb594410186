"""Which payments take a provider's link: only an open cashless one, and only the current link expires."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from payments.domain.payment import Link, NotPayable, Payment, first_open

AT = datetime(2030, 1, 1, 9, 30, tzinfo=UTC)


def unpaid(number: int = 1, **kwargs: object) -> Payment:
    return Payment(account_id=uuid.uuid4(), order_id=uuid.uuid4(), number=number, amount=Decimal("500.00"),
                   currency="UAH", provider="stripe", **kwargs)


def closed(status: str) -> Payment:
    payment = unpaid()
    if status == "paid":
        payment.mark_paid(Decimal("500.00"), "UAH", at=AT)
    elif status == "cancelled":
        payment.cancel()
    else:
        payment.status = status  # type: ignore[assignment]
    return payment


@pytest.mark.parametrize("status", ["paid", "cancelled", "failed", "refunded"])
def test_a_closed_payment_takes_no_link_and_keeps_what_it_had(status):
    payment = closed(status)
    generation = payment.link_generation
    assert not payment.takes_link
    with pytest.raises(NotPayable):
        payment.attach_link(Link("https://pay.example/x"))
    with pytest.raises(NotPayable):
        payment.want_fresh_link()
    assert payment.link_url is None and payment.link_generation == generation


def test_a_payment_to_be_paid_in_cash_is_open_but_gets_no_provider_link():
    cash = unpaid(method="cash")
    assert cash.is_open and not cash.takes_link
    with pytest.raises(NotPayable):
        cash.want_fresh_link()


def test_each_fresh_link_is_a_new_generation_and_drops_the_old_link():
    payment = unpaid()
    payment.attach_link(Link("https://pay.example/1", provider_reference="cs_1"))
    assert payment.want_fresh_link() == 1 and payment.link_url is None
    payment.attach_link(Link("https://pay.example/2", provider_reference="cs_2"))
    assert payment.want_fresh_link() == 2
    # The reference of the last link issued stays: a late report about it is still recognised.
    assert payment.provider_reference == "cs_2"


def test_an_expiry_about_an_older_link_leaves_the_current_one():
    payment = unpaid()
    payment.attach_link(Link("https://pay.example/2", provider_reference="cs_2"))
    assert not payment.forget_link("cs_1") and payment.link_url == "https://pay.example/2"
    assert payment.forget_link("cs_2") and payment.link_url is None
    assert not payment.forget_link("cs_2")


def test_the_next_payment_asked_for_is_the_lowest_numbered_open_cashless_one():
    first, second, third = unpaid(1), unpaid(2, method="cash"), unpaid(3)
    assert first_open([third, second, first]) is first
    first.mark_paid(Decimal("500.00"), "UAH", at=AT)
    assert first_open([third, second, first]) is third
    third.cancel()
    assert first_open([third, second, first]) is None
