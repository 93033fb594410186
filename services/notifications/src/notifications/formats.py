"""Money and moments as Babel writes them for a locale, from patterns prepared once per locale.

Babel's `format_currency` parses the locale (`Locale.parse`) and looks up its currency pattern, the
currency's digits and sign, and each number symbol anew on every call: a third of the CPU of
putting a letter into words (docs/performance.md). Here those are looked up once per (locale, currency)
and the amount is written the way `NumberPattern.apply` writes it: the sign's affixes, the digits
rounded by `Decimal.quantize` in the current context, grouped by the pattern's sizes. The result
is the same string, which tests/unit/test_formats.py checks against Babel itself; a pattern this
shortcut does not cover (significant digits, exponents, a currency's long name, quotes in a
symbol) goes to Babel as before.

Moments use Babel's own date and time patterns, looked up once per locale, applied as
`format_date` and `format_time` apply them.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from functools import cache

from babel.core import Locale
from babel.dates import DateTimePattern, get_datetime_format
from babel.numbers import (
    format_currency, get_currency_precision, get_currency_symbol, get_decimal_symbol, get_group_symbol,
)

NO_BREAK_SPACE = "\u00a0"


def currency_spacing(text: str) -> str:
    """CLDR's currencySpacing, which Babel leaves out: a sign made of letters ("UAH", "PLN") is
    kept apart from the digits by a no-break space ("UAH 1,500.00"), a symbol ("$", "€") is not.
    Letters occur in a formatted amount only in its currency sign, so the boundary is where a
    letter meets a digit."""
    if not text:
        return text
    out: list[str] = []
    for before, char in zip(" " + text[:-1], text, strict=True):
        if (before.isalpha() and char.isdigit()) or (before.isdigit() and char.isalpha()):
            out.append(NO_BREAK_SPACE)
        out.append(char)
    return "".join(out)


def _affix(text: str, currency: str, symbol: str) -> str | None:
    """A pattern's prefix or suffix as Babel writes it around the digits, or None where writing it
    apart from the digits could differ from writing the whole (a long name, an odd quote)."""
    if "¤¤¤" in text:
        return None  # the currency's name, which depends on the amount
    text = text.replace("¤¤", currency.upper()).replace("¤", symbol)
    if text.count("'") % 2:
        return None
    # Babel's last step: single quotes around literal text dropped, a doubled one kept as one.
    out, quoted, i = [], False, 0
    while i < len(text):
        if text[i] == "'":
            if not quoted and text[i + 1:i + 2] == "'":
                out.append("'")
                i += 2
                continue
            quoted = not quoted
        else:
            out.append(text[i])
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class _Money:
    """One currency's amounts in one locale: everything but the digits, spacing included."""

    prefixes: tuple[str, str]  # positive, negative
    suffixes: tuple[str, str]
    digits: int
    quantum: Decimal
    group: str
    decimal: str
    first_group: int
    other_groups: int
    min_int: int


def _spaced(prefix: str, suffix: str) -> tuple[str, str]:
    # What currency_spacing does to the whole, done to the affixes once: the digits next to them
    # are digits, and nothing between them is a letter (checked when prepared).
    before = currency_spacing(prefix) + (NO_BREAK_SPACE if prefix[-1:].isalpha() else "")
    after = (NO_BREAK_SPACE if suffix[:1].isalpha() else "") + currency_spacing(suffix)
    return before, after


@cache
def _money(locale: str, currency: str) -> _Money | None:
    """The prepared pattern, or None where Babel must write it (a pattern this does not cover)."""
    parsed = Locale.parse(locale)
    pattern = parsed.currency_formats["standard"]
    if pattern.exp_prec or "@" in pattern.pattern or pattern.scale or pattern.number_pattern == "":
        return None
    symbol = get_currency_symbol(currency, parsed)
    group, point = get_group_symbol(parsed), get_decimal_symbol(parsed)
    if any(c.isalnum() or c in "'¤" for c in group + point):
        return None
    affixes = [_affix(text, currency, symbol) for text in (*pattern.prefix, *pattern.suffix)]
    if any(a is None for a in affixes):
        return None
    positive, negative, positive_after, negative_after = (str(a) for a in affixes)
    spaced_positive, spaced_negative = _spaced(positive, positive_after), _spaced(negative, negative_after)
    digits = get_currency_precision(currency)
    return _Money(
        prefixes=(spaced_positive[0], spaced_negative[0]), suffixes=(spaced_positive[1], spaced_negative[1]),
        digits=digits, quantum=Decimal(10) ** (-digits), group=group, decimal=point,
        first_group=pattern.grouping[0], other_groups=pattern.grouping[1], min_int=pattern.int_prec[0],
    )


def money(amount: Decimal, currency: str, *, locale: str) -> str:
    """What `currency_spacing(format_currency(amount, currency, locale=locale))` gives."""
    prepared = _money(locale, currency)
    if not isinstance(amount, Decimal):
        amount = Decimal(str(amount))
    if prepared is None or not amount.is_finite():
        return currency_spacing(format_currency(amount, currency, locale=locale))
    negative = int(amount.is_signed())
    whole, _, fraction = f"{abs(amount).normalize().quantize(prepared.quantum):f}".partition(".")
    if len(whole) < prepared.min_int:
        whole = "0" * (prepared.min_int - len(whole)) + whole
    size = prepared.first_group
    grouped = ""
    while len(whole) > size:
        grouped = prepared.group + whole[-size:] + grouped
        whole = whole[:-size]
        size = prepared.other_groups
    number = whole + grouped
    if prepared.digits:
        number += prepared.decimal + fraction
    return prepared.prefixes[negative] + number + prepared.suffixes[negative]


@cache
def _moment(locale: str) -> tuple[Locale, str, DateTimePattern, DateTimePattern]:
    parsed = Locale.parse(locale)
    joined = get_datetime_format("long", locale=parsed).replace("'", "")
    return parsed, joined, parsed.date_formats["long"], parsed.time_formats["short"]


def moment(value: datetime, *, locale: str, zone: tzinfo = UTC) -> str:
    """A long date and a short time ("November 23, 2026, 3:30 PM UTC"): seconds mean nothing here."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(zone)
    parsed, joined, date_pattern, time_pattern = _moment(locale)
    day = local.date()
    # As format_time and format_date apply them: the time of day with its zone, the day's date.
    time = f"{time_pattern.apply(local.timetz(), parsed, reference_date=day)} {local.tzname()}"
    return joined.replace("{0}", time).replace("{1}", date_pattern.apply(day, parsed))
