"""Pricing rules of an offer: discount, rounding per currency, payment plans that add up."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from contracts import CURRENCY_EXPONENTS
from hypothesis import given
from hypothesis import strategies as st
from offers.domain.errors import OfferError
from offers.domain.offer import Item, Offer
from offers.domain.pricing import Discount, PlanPayment, round_half_up, validate_plan

D = Decimal
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def offer(*prices: str, currency="UAH", discount=Discount(), plan=None) -> Offer:
    return Offer(id=uuid.uuid4(), account_id=uuid.uuid4(), title="Tariff", currency=currency,
                 items=[Item(uuid.uuid4(), f"P{n}", D(p)) for n, p in enumerate(prices)], discount=discount, plan=plan)


def field_of(broken: Offer) -> str:
    with pytest.raises(OfferError) as caught:
        broken.validate()
    return caught.value.field


def test_an_amount_discount_comes_off_the_subtotal():
    o = offer("1000.00", "547.36", discount=Discount("amount", D("47.36")))
    o.validate()
    assert (o.subtotal, o.discount_amount, o.total) == (D("1547.36"), D("47.36"), D("1500.00"))


@pytest.mark.parametrize(
    "prices, currency, percent, discount",
    [
        (["100.00"], "UAH", "15", "15.00"),
        (["0.10"], "EUR", "25", "0.03"),  # 0.025 rounds half up, not to even
        (["0.30"], "EUR", "25", "0.08"),  # 0.075 -> 0.08
        (["999"], "JPY", "10.5", "105"),  # 104.895 -> 105 yen: no minor unit
        (["1.005"], "KWD", "50", "0.503"),  # 0.5025 -> 0.503 with three digits
        (["19.99", "5.01"], "USD", "33.3333", "8.33"),
        (["100.00"], "UAH", "100", "100.00"),
    ],
)
def test_a_percent_discount_is_rounded_half_up_to_the_currency(prices, currency, percent, discount):
    o = offer(*prices, currency=currency, discount=Discount("percent", D(percent)))
    o.validate()
    assert o.discount_amount == D(discount)
    assert o.total == o.subtotal - D(discount)
    assert -o.total.as_tuple().exponent <= CURRENCY_EXPONENTS[currency]


@pytest.mark.parametrize(
    "broken, field",
    [
        (offer("-1.00"), "items.0.price"),
        (offer("10.00", "1.001"), "items.1.price"),
        (offer("10.5", currency="JPY"), "items.0.price"),
        (offer("10.00", currency="XYZ"), "currency"),
        (offer("10.00", discount=Discount("amount", D("10.01"))), "discount"),
        (offer("10.00", discount=Discount("amount", D("-1"))), "discount"),
        (offer("10.00", discount=Discount("amount", D("0.001"))), "discount"),
        (offer("10.00", discount=Discount("percent", D("100.01"))), "discount"),
        (offer("10.00", plan=[]), "payment_plan"),
        (offer("10.00", plan=[PlanPayment("regular", D("9.99"))]), "payment_plan"),
        (offer("10.00", plan=[PlanPayment("prepayment", D("10.00"))]), "payment_plan.0.type"),
        (offer("10.00", plan=[PlanPayment("prepayment", D("4.00")),
                              PlanPayment("surcharge", D("6.00"))]), "payment_plan.1.due_at"),
        (offer("10.00", plan=[PlanPayment("prepayment", D("4.00")),
                              PlanPayment("surcharge", D("3.00"), NOW + timedelta(days=30)),
                              PlanPayment("surcharge", D("3.00"), NOW + timedelta(days=10))]), "payment_plan.2.due_at"),
        (offer("10.00", plan=[PlanPayment("prepayment", D("4.001")),
                              PlanPayment("surcharge", D("5.999"), NOW)]), "payment_plan.0.amount"),
        (offer("10.00", plan=[PlanPayment("prepayment", D("10.00")),
                              PlanPayment("surcharge", D("0"), NOW)]), "payment_plan.1.amount"),
    ],
)
def test_broken_offers_name_the_field(broken, field):
    assert field_of(broken) == field


def test_a_plan_of_a_prepayment_and_dated_surcharges_that_add_up_is_accepted():
    plan = [PlanPayment("prepayment", D("500.00")),
            PlanPayment("surcharge", D("500.00"), NOW + timedelta(days=30), closes_access=True),
            PlanPayment("surcharge", D("400.00"), NOW + timedelta(days=60), closes_access=True)]
    o = offer("1500.00", discount=Discount("amount", D("100.00")), plan=plan)
    o.validate()
    assert [(p.type, p.amount, p.closes_access) for p in o.planned_payments()] == [
        ("prepayment", D("500.00"), False), ("surcharge", D("500.00"), True), ("surcharge", D("400.00"), True)]


def test_without_a_plan_the_total_is_one_payment():
    o = offer("10.00", "5.00", discount=Discount("percent", D("10")))
    assert [(p.type, p.amount) for p in o.planned_payments()] == [("regular", D("13.50"))]


currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))


@st.composite
def priced(draw):
    currency = draw(currencies)
    exponent = CURRENCY_EXPONENTS[currency]
    minor = draw(st.lists(st.integers(0, 10**9), min_size=1, max_size=5))
    prices = [D(m).scaleb(-exponent) for m in minor]
    return currency, prices


@given(priced(), st.integers(0, 1_000_000))
def test_a_percent_discount_never_leaves_the_currency_or_the_subtotal(case, basis_points):
    currency, prices = case
    o = offer(*map(str, prices), currency=currency, discount=Discount("percent", D(basis_points).scaleb(-4)))
    o.validate()
    assert D(0) <= o.discount_amount <= o.subtotal
    assert o.discount_amount == o.discount_amount.quantize(D(1).scaleb(-CURRENCY_EXPONENTS[currency]))
    assert o.total + o.discount_amount == o.subtotal
    exact = o.subtotal * D(basis_points).scaleb(-4) / 100
    assert abs(o.discount_amount - exact) <= D(1).scaleb(-CURRENCY_EXPONENTS[currency]) / 2


@given(priced(), st.lists(st.integers(1, 10**7), min_size=1, max_size=6), st.integers(-3, 3))
def test_a_plan_is_accepted_exactly_when_it_adds_up_to_the_total(case, weights, nudge):
    currency, prices = case
    unit = D(1).scaleb(-CURRENCY_EXPONENTS[currency])
    total = sum(prices, D(0))
    # Split the total into as many positive parts as it has minor units for, the last taking the rest.
    parts = min(len(weights), int(total / unit)) if total > 0 else 1
    shares = [round_half_up(total * w / sum(weights[:parts]), currency) for w in weights[:parts - 1]]
    last = total - sum(shares, D(0))
    if parts > 1 and (last <= 0 or any(s <= 0 for s in shares)):
        return
    amounts = [*shares, last + nudge * unit]
    types = ["regular"] if parts == 1 else ["prepayment", *["surcharge"] * (parts - 1)]
    plan = [PlanPayment(t, a, None if n == 0 else NOW + timedelta(days=n))
            for n, (t, a) in enumerate(zip(types, amounts, strict=True))]
    if any(a < 0 or (parts > 1 and a == 0) for a in amounts):
        return
    if nudge == 0:
        validate_plan(plan, currency, total)
    else:
        with pytest.raises(OfferError) as caught:
            validate_plan(plan, currency, total)
        assert caught.value.field == "payment_plan"


def test_round_half_up_is_away_from_zero_at_the_half():
    assert round_half_up(D("0.125"), "EUR") == D("0.13")
    assert round_half_up(D("2.5"), "JPY") == D("3")
    assert round_half_up(D("0.0005"), "BHD") == D("0.001")
