"""Money and moments from prepared patterns write exactly what Babel writes, for every locale of the
letters and a few with other groupings, signs and quotes."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext

import pytest
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency
from notifications.domain.letters import SUPPORTED_LOCALES
from notifications.domain.zones import zone_named
from notifications.formats import currency_spacing, moment, money

# Beyond the letters' own: Indian grouping (hi_IN, en_IN), an apostrophe as the group sign (de_CH),
# right-to-left marks in the pattern (he, ar), the sign after the digits (nl, sv), no decimals (ja).
LOCALES = (*SUPPORTED_LOCALES, "uk_UA", "en_US", "en_GB", "de_CH", "de_AT", "fr_CH", "hi_IN", "en_IN", "he", "ar",
           "nl", "sv", "ja", "es", "pt_BR", "tr", "cs", "fa", "sw")
CURRENCIES = ("UAH", "USD", "EUR", "JPY", "PLN", "GBP", "CHF", "KWD", "CLF", "INR", "XXX", "BTN")
AMOUNTS = tuple(Decimal(a) for a in (
    "0", "0.00", "-0", "-0.00", "0.001", "0.005", "0.015", "0.5", "1", "-1", "9.995", "10.00", "99.999",
    "1547.36", "-1547.36", "1000", "1000000", "1234567.891", "-98765432.105", "123456789012345.6789",
    "1E+3", "1.5E-7", "12.3456789", "999999999999.995",
))


@pytest.mark.parametrize("locale", LOCALES)
def test_money_is_what_babel_writes_with_currency_spacing(locale: str) -> None:
    for currency, amount in itertools.product(CURRENCIES, AMOUNTS):
        expected = currency_spacing(format_currency(amount, currency, locale=locale))
        assert money(amount, currency, locale=locale) == expected, (amount, currency)


def test_money_rounds_as_the_decimal_context_says() -> None:
    # Babel rounds with Decimal.quantize in the current context; so do the prepared patterns.
    with localcontext() as context:
        for rounding in ("ROUND_HALF_EVEN", "ROUND_HALF_UP", "ROUND_DOWN"):
            context.rounding = rounding
            for amount in (Decimal("0.125"), Decimal("-2.675"), Decimal("0.5")):
                for currency in ("USD", "JPY", "KWD"):
                    assert money(amount, currency, locale="en") == currency_spacing(
                        format_currency(amount, currency, locale="en"))


def test_money_takes_what_babel_takes() -> None:
    assert money(1500, "UAH", locale="uk") == "1\xa0500,00\xa0₴"  # type: ignore[arg-type]
    assert money(Decimal("Infinity"), "USD", locale="en") == currency_spacing(
        format_currency(Decimal("Infinity"), "USD", locale="en"))
    assert money(Decimal("1547.36"), "UAH", locale="en") == "UAH\xa01,547.36"
    assert money(Decimal("-1547.36"), "PLN", locale="en") == "-PLN\xa01,547.36"


@pytest.mark.parametrize("locale", LOCALES)
def test_moments_are_what_babel_writes(locale: str) -> None:
    start = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    zones = [zone_named(name) for name in ("UTC", "Europe/Kyiv", "America/New_York", "Asia/Kolkata")]
    for hours, zone in itertools.product(range(0, 24 * 366, 997), zones):
        value = start + timedelta(hours=hours, minutes=hours % 60)
        local = value.astimezone(zone)
        pattern = get_datetime_format("long", locale=locale).replace("'", "")
        time = f"{format_time(local, 'short', locale=locale)} {local.tzname()}"
        expected = pattern.replace("{0}", time).replace("{1}", format_date(local, "long", locale=locale))
        assert moment(value, locale=locale, zone=zone) == expected
    naive = datetime(2026, 11, 23, 15, 30)
    assert moment(naive, locale=locale) == moment(naive.replace(tzinfo=UTC), locale=locale)
