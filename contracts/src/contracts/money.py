"""Money on the wire: a decimal string plus an ISO 4217 currency code, never a float."""

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer, model_validator

# Active ISO 4217 codes and their minor-unit exponents (ISO 4217 list; funds and metals omitted).
CURRENCY_EXPONENTS: dict[str, int] = {
    "AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2, "AZN": 2,
    "BAM": 2, "BBD": 2, "BDT": 2, "BHD": 3, "BIF": 0, "BMD": 2, "BND": 2, "BOB": 2, "BOV": 2,
    "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHE": 2,
    "CHF": 2, "CHW": 2, "CLF": 4, "CLP": 0, "CNY": 2, "COP": 2, "COU": 2, "CRC": 2, "CUP": 2,
    "CVE": 2, "CZK": 2, "DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2, "ERN": 2, "ETB": 2,
    "EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2, "GNF": 0,
    "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2,
    "IQD": 3, "IRR": 2, "ISK": 0, "JMD": 2, "JOD": 3, "JPY": 0, "KES": 2, "KGS": 2, "KHR": 2,
    "KMF": 0, "KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2,
    "LRD": 2, "LSL": 2, "LYD": 3, "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2,
    "MOP": 2, "MRU": 2, "MUR": 2, "MVR": 2, "MWK": 2, "MXN": 2, "MXV": 2, "MYR": 2, "MZN": 2,
    "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2, "NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2,
    "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2,
    "RWF": 0, "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2, "SLE": 2,
    "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2, "SZL": 2, "THB": 2, "TJS": 2,
    "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2, "TZS": 2, "UAH": 2, "UGX": 0,
    "USD": 2, "USN": 2, "UYI": 0, "UYU": 2, "UYW": 4, "UZS": 2, "VED": 2, "VES": 2, "VND": 0,
    "VUV": 0, "WST": 2, "XAD": 2, "XAF": 0, "XCD": 2, "XCG": 2, "XOF": 0, "XPF": 0, "YER": 2,
    "ZAR": 2, "ZMW": 2, "ZWG": 2,
}


def check_currency(code: str) -> str:
    if code not in CURRENCY_EXPONENTS:
        raise ValueError(f"'{code}' is not an ISO 4217 currency code")
    return code


# The largest amount anything may carry, exclusive: twelve integer digits. Every money column is
# NUMERIC(18, 4), fourteen integer digits, so the sum of an order's or offer's hundred lines at
# this bound still fits (the totals are checked against it too).
MAX_AMOUNT = Decimal(10) ** 12
# How an amount is written on the wire: digits, at most one point, an optional minus. No exponent
# ("1e3" is not a price anyone typed), no NaN or infinity, no spaces, no thousands separators.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _plain_decimal(value: object) -> object:
    # A float has already lost cents before we see it; the wire carries strings (or whole numbers).
    if isinstance(value, float):
        raise ValueError("amounts are decimal strings, not floats")
    if isinstance(value, bool):
        raise ValueError("an amount is a decimal string such as \"1500.00\"")
    if isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(value):
        raise ValueError("an amount is written as plain digits with an optional point, such as \"1500.00\"")
    return value


def check_magnitude(amount: Decimal) -> Decimal:
    """The amount if it is finite and below MAX_AMOUNT either way: what every money column can hold."""
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"an amount must be below {MAX_AMOUNT:,f} either way")
    return amount


def check_scale(amount: Decimal, currency: str) -> Decimal:
    """Return the amount if it has no more fraction digits than the currency allows."""
    exponent = CURRENCY_EXPONENTS[check_currency(currency)]
    if amount != amount.quantize(Decimal(1).scaleb(-exponent)):
        raise ValueError(f"{amount} has more than {exponent} decimal places for {currency}")
    return amount


def quantize(amount: Decimal, currency: str) -> Decimal:
    """The amount with exactly the currency's minor-unit digits (for display and the wire)."""
    return amount.quantize(Decimal(1).scaleb(-CURRENCY_EXPONENTS[check_currency(currency)]))


CurrencyCode = Annotated[str, AfterValidator(check_currency)]
Amount = Annotated[
    Decimal,
    BeforeValidator(_plain_decimal),
    AfterValidator(check_magnitude),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
]


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: Amount
    currency: CurrencyCode

    @model_validator(mode="after")
    def _amount_fits_currency(self) -> "Money":
        check_scale(self.amount, self.currency)
        return self


# A discount as a school enters it: an amount off the subtotal, or a percent of it.
DiscountKind = Literal["amount", "percent"]
