"""The order: what one contact gets, at what price, and how much of it is paid."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Literal, NamedTuple
from uuid import UUID

from contracts import CURRENCY_EXPONENTS, MAX_AMOUNT, check_currency, check_scale

# What kind of deal an order is, for the team's reports; it changes no rule.
#   regular: a first purchase; renewal: the same product again after access ended;
#   upsell: an addition to something the contact already has; gift: granted at no charge.
ORDER_TYPES = ("regular", "renewal", "upsell", "gift")
ORDER_STATUSES = ("active", "cancelled", "expired")


class InvalidOrder(ValueError):
    """A value the order cannot take, and the request field that carried it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_amount(field: str, amount: Decimal, currency: str) -> Decimal:
    if amount < 0:
        raise InvalidOrder(field, "must not be negative")
    try:
        return check_scale(amount, currency)
    except ValueError as exc:
        raise InvalidOrder(field, str(exc)) from None


HUNDRED = Decimal(100)
# As offers take a percent: to a hundredth of a basis point, which is what the column keeps.
PERCENT_STEP = Decimal("0.0001")


def round_half_up(amount: Decimal, currency: str) -> Decimal:
    """To the currency's minor unit, halves away from zero, as a receipt and the offers round."""
    return amount.quantize(Decimal(1).scaleb(-CURRENCY_EXPONENTS[check_currency(currency)]), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Discount:
    """The discount as the manager gave it: an `amount` off the subtotal, or a `percent` of it.

    A percent is the rule, the amount its result: when the lines change, the amount follows them.
    """

    kind: Literal["amount", "percent"] = "amount"
    value: Decimal = Decimal(0)

    @property
    def percent(self) -> Decimal | None:
        return self.value if self.kind == "percent" else None

    def amount_off(self, subtotal: Decimal, currency: str) -> Decimal:
        if self.kind == "amount":
            return check_amount("discount", self.value, currency)
        if self.value < 0:
            raise InvalidOrder("discount.value", "a percent discount must not be negative")
        if self.value > HUNDRED:
            raise InvalidOrder("discount.value", f"a percent discount is at most 100, not {self.value}")
        if self.value != self.value.quantize(PERCENT_STEP):
            raise InvalidOrder("discount.value", "a percent discount has at most 4 decimal places")
        return round_half_up(subtotal * self.value / HUNDRED, currency)


class Priced(NamedTuple):
    subtotal: Decimal
    discount: Decimal
    total: Decimal


def priced(prices: Iterable[Decimal], discount: Discount, currency: str) -> Priced:
    """Subtotal of lines at these prices, the discount's amount off it, and what is left (never below zero)."""
    subtotal = sum(prices, Decimal(0))
    if subtotal >= MAX_AMOUNT:
        raise InvalidOrder("lines", f"the lines add up to {subtotal}, more than an order can cost")
    off = discount.amount_off(subtotal, currency)
    if off > subtotal:
        raise InvalidOrder("discount", f"the discount {off} is above the subtotal {subtotal}")
    return Priced(subtotal, off, subtotal - off)


def price(prices: Iterable[Decimal], discount: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """Subtotal and total of lines at these prices, less an amount off (never below zero)."""
    subtotal, _, total = priced(prices, Discount("amount", discount), currency)
    return subtotal, total


def check_plan(amounts: list[Decimal], total: Decimal, currency: str) -> None:
    """The planned payments add up to the total, to the minor unit."""
    for n, amount in enumerate(amounts):
        check_amount(f"payments.{n}.amount", amount, currency)
        if amount == 0:
            raise InvalidOrder(f"payments.{n}.amount", "a payment must be above zero")
    if amounts and sum(amounts, Decimal(0)) != total:
        raise InvalidOrder("payments", f"the payments add up to {sum(amounts, Decimal(0))}, not the total {total}")


class PaymentStatus(StrEnum):
    NOT_PAID = "not_paid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERPAID = "overpaid"
    REFUNDED = "refunded"


def payment_status(total: Decimal, paid: Decimal, refunded: Decimal = Decimal(0)) -> PaymentStatus:
    """Derived from the total and the money received; never set by hand."""
    if refunded > 0 and paid - refunded <= 0:
        return PaymentStatus.REFUNDED
    net = paid - refunded
    if net <= 0:
        # A free order (total 0) counts as paid as soon as it exists.
        return PaymentStatus.PAID if total == 0 else PaymentStatus.NOT_PAID
    if net < total:
        return PaymentStatus.PARTIALLY_PAID
    if net == total:
        return PaymentStatus.PAID
    return PaymentStatus.OVERPAID


FULLY_PAID = frozenset({PaymentStatus.PAID, PaymentStatus.OVERPAID})


def amount_due(total: Decimal, paid: Decimal, refunded: Decimal = Decimal(0)) -> Decimal:
    """What is still owed; an overpaid order owes nothing (the surplus is not a negative due)."""
    return max(total - (paid - refunded), Decimal(0))


def becomes_fully_paid(before: str, after: str) -> bool:
    """Whether a change of the money or the total is the one that made the order fully paid."""
    return PaymentStatus(after) in FULLY_PAID and PaymentStatus(before) not in FULLY_PAID


class PaymentMismatch(ValueError):
    """A payment in another currency than the order's cannot be counted."""


@dataclass
class Order:
    id: UUID
    account_id: UUID
    number: int
    currency: str
    total: Decimal
    paid: Decimal = Decimal(0)
    stage_id: UUID | None = None
    version: int = 1
    counted_payments: set[UUID] = field(default_factory=set)
    refunded: Decimal = Decimal(0)

    @property
    def status(self) -> PaymentStatus:
        return payment_status(self.total, self.paid, self.refunded)

    @property
    def net_paid(self) -> Decimal:
        return self.paid - self.refunded

    @property
    def due(self) -> Decimal:
        return amount_due(self.total, self.paid, self.refunded)

    @property
    def fully_paid(self) -> bool:
        return self.status in FULLY_PAID

    def record_refund(self, amount: Decimal, currency: str) -> None:
        """Money went back: it no longer counts as paid (never below nothing paid)."""
        if currency != self.currency:
            raise PaymentMismatch(f"refund in {currency} for an order in {self.currency}")
        self.refunded = min(self.refunded + amount, self.paid)
        self.version += 1

    def record_payment(self, payment_id: UUID, amount: Decimal, currency: str) -> bool:
        """Count a confirmed payment once; returns False if it was already counted."""
        if currency != self.currency:
            raise PaymentMismatch(f"payment in {currency} for an order in {self.currency}")
        if payment_id in self.counted_payments:
            return False
        self.counted_payments.add(payment_id)
        self.paid += amount
        self.version += 1
        return True
