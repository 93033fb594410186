"""Prices of an offer: subtotal, discount, total and the payment plan that must add up to it."""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from contracts import CURRENCY_EXPONENTS, DiscountKind, PaymentType, check_currency, check_scale

from .errors import OfferError

HUNDRED = Decimal(100)



def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-CURRENCY_EXPONENTS[check_currency(currency)])


def round_half_up(amount: Decimal, currency: str) -> Decimal:
    """Rounded to the currency's minor unit, halves away from zero (what a buyer expects on a receipt)."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def fits(amount: Decimal, currency: str, field: str) -> None:
    try:
        check_scale(amount, currency)
    except ValueError as exc:
        raise OfferError(field, str(exc)) from None


@dataclass(frozen=True)
class Discount:
    """`amount`: that much off the subtotal; `percent`: that share of the subtotal, rounded half up."""

    kind: DiscountKind = "amount"
    value: Decimal = Decimal(0)

    def validate(self, currency: str, subtotal: Decimal) -> None:
        if self.kind not in ("amount", "percent"):
            raise OfferError("discount.kind", "a discount is an 'amount' or a 'percent'")
        if self.value < 0:
            raise OfferError("discount", "a discount cannot be negative")
        if self.kind == "percent":
            if self.value > HUNDRED:
                raise OfferError("discount", "a percent discount cannot be above 100")
            if self.value != self.value.quantize(Decimal("0.0001")):
                raise OfferError("discount", "a percent discount has at most 4 decimal places")
            return
        fits(self.value, currency, "discount")
        if self.value > subtotal:
            raise OfferError("discount", "the discount is larger than the sum of the prices")

    def amount(self, currency: str, subtotal: Decimal) -> Decimal:
        if self.kind == "percent":
            return round_half_up(subtotal * self.value / HUNDRED, currency)
        return self.value


@dataclass(frozen=True)
class PlanPayment:
    type: PaymentType
    amount: Decimal
    due_at: datetime | None = None
    closes_access: bool = False


def validate_plan(plan: list[PlanPayment] | None, currency: str, total: Decimal) -> None:
    """None is one payment of the total. Otherwise: one regular payment, or a prepayment due at
    once followed by surcharges on strictly later dates; the amounts add up to the total exactly."""
    if plan is None:
        return
    if not plan:
        raise OfferError("payment_plan", "a payment plan has at least one payment")
    if len(plan) == 1:
        if plan[0].type != "regular":
            raise OfferError("payment_plan.0.type", "a plan of one payment is a 'regular' payment")
    else:
        if plan[0].type != "prepayment":
            raise OfferError("payment_plan.0.type", "a plan of several payments starts with a 'prepayment'")
        previous: datetime | None = None
        for n, payment in enumerate(plan[1:], start=1):
            if payment.type != "surcharge":
                raise OfferError(f"payment_plan.{n}.type", "payments after the prepayment are 'surcharge' payments")
            if payment.due_at is None:
                raise OfferError(f"payment_plan.{n}.due_at", "a surcharge needs the date it is due")
            if previous is not None and payment.due_at <= previous:
                raise OfferError(f"payment_plan.{n}.due_at", "surcharges are due in date order, one after another")
            previous = payment.due_at
        first_due = plan[0].due_at
        if first_due is not None and plan[1].due_at is not None and plan[1].due_at <= first_due:
            raise OfferError("payment_plan.1.due_at", "a surcharge is due after the prepayment")
    for n, payment in enumerate(plan):
        if payment.amount < 0 or (len(plan) > 1 and payment.amount == 0):
            raise OfferError(f"payment_plan.{n}.amount", "each payment of a plan is a positive amount")
        fits(payment.amount, currency, f"payment_plan.{n}.amount")
    planned = sum((p.amount for p in plan), Decimal(0))
    if planned != total:
        raise OfferError("payment_plan", f"the payments add up to {planned}, the offer's total is {total}")
