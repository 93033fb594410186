"""Pricing of an order: lines, discount, planned payments; pipelines' markers."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from orders.domain.order import Discount, InvalidOrder, check_amount, check_plan, price, priced
from orders.domain.pipeline import InvalidPipeline, StageTemplate, check_stages

cents = st.integers(min_value=0, max_value=10**9).map(lambda n: Decimal(n).scaleb(-2))


@given(prices=st.lists(cents, min_size=1, max_size=10), share=st.fractions(min_value=0, max_value=1))
def test_total_is_subtotal_less_discount_to_the_cent(prices, share):
    subtotal = sum(prices, Decimal(0))
    discount = (subtotal * Decimal(share.numerator) / Decimal(share.denominator)).quantize(Decimal("0.01"), "ROUND_DOWN")
    got_subtotal, total = price(prices, discount, "UAH")
    assert got_subtotal == subtotal
    assert total + discount == subtotal and total >= 0


@given(prices=st.lists(cents, min_size=1, max_size=10))
def test_a_discount_above_the_subtotal_is_refused(prices):
    subtotal = sum(prices, Decimal(0))
    with pytest.raises(InvalidOrder) as refused:
        price(prices, subtotal + Decimal("0.01"), "UAH")
    assert refused.value.field == "discount"


percents = st.integers(min_value=0, max_value=100 * 10**4).map(lambda n: Decimal(n).scaleb(-4))


@given(prices=st.lists(cents, min_size=1, max_size=10), share=percents)
def test_a_percent_discount_is_the_share_rounded_half_up_and_never_above_the_subtotal(prices, share):
    subtotal, off, total = priced(prices, Discount("percent", share), "UAH")
    exact = subtotal * share / 100
    assert off == exact.quantize(Decimal("0.01"), "ROUND_HALF_UP") and abs(off - exact) <= Decimal("0.005")
    assert 0 <= off <= subtotal and total == subtotal - off


@pytest.mark.parametrize("currency, prices, share, off", [
    ("JPY", ["1010"], "5", "51"), ("KWD", ["1.001"], "50", "0.501"), ("UAH", ["10.10"], "5", "0.51"),
    ("UAH", ["999.99", "0.01"], "100", "1000.00"), ("UAH", ["10.00"], "0", "0"),
])
def test_a_percent_discount_in_the_currencys_minor_unit(currency, prices, share, off):
    assert priced([Decimal(p) for p in prices], Discount("percent", Decimal(share)), currency).discount == Decimal(off)


@pytest.mark.parametrize("share", ["100.0001", "-0.5", "12.34567"])
def test_a_percent_out_of_bounds_or_too_fine_is_refused(share):
    with pytest.raises(InvalidOrder) as refused:
        priced([Decimal("10.00")], Discount("percent", Decimal(share)), "UAH")
    assert refused.value.field == "discount.value"


@given(total=cents.filter(lambda d: d > 0), cuts=st.lists(st.integers(min_value=1, max_value=99), max_size=5))
def test_a_plan_split_in_parts_adds_up(total, cuts):
    parts, left = [], total
    for cut in cuts:
        part = (left * cut / 100).quantize(Decimal("0.01"), "ROUND_DOWN")
        if part > 0 and left - part > 0:
            parts.append(part)
            left -= part
    parts.append(left)
    check_plan(parts, total, "UAH")
    with pytest.raises(InvalidOrder) as refused:
        check_plan([*parts, Decimal("0.01")], total, "UAH")
    assert refused.value.field == "payments"


@pytest.mark.parametrize("amount, currency, message", [
    ("-1.00", "UAH", "negative"), ("1.001", "UAH", "decimal places"), ("1.5", "JPY", "decimal places"),
])
def test_bad_amounts_name_their_field(amount, currency, message):
    with pytest.raises(InvalidOrder) as refused:
        check_amount("lines.0.price", Decimal(amount), currency)
    assert refused.value.field == "lines.0.price" and message in refused.value.message


def test_a_pipeline_has_one_stage_per_marker():
    check_stages([StageTemplate("New"), StageTemplate("Paid", on_full_payment=True), StageTemplate("X", on_cancel=True)])
    with pytest.raises(InvalidPipeline) as refused:
        check_stages([StageTemplate("A", on_cancel=True), StageTemplate("B", on_cancel=True)])
    assert refused.value.field == "stages.1.on_cancel"
    with pytest.raises(InvalidPipeline):
        check_stages([])
