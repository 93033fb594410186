"""Payments of an order: what is owed, what a provider reported, and how a link is asked for."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Literal, Protocol
from uuid import UUID, uuid4

from contracts import (
    CURRENCY_EXPONENTS, ContactData, Event, OrderCreated, PaymentLinkIssued, PaymentSucceeded, check_currency,
    check_scale,
)
from contracts.events import PaymentMethod, PaymentType

# "failed" is for a payment a provider gave up on for good; a declined card leaves it unpaid,
# so the contact can try again through the same link.
PaymentStatus = Literal["unpaid", "paid", "failed", "cancelled", "refunded"]

# Long enough for any provider's message, short enough that a hostile one cannot bloat the row.
MAX_REASON_LENGTH = 500


class PaymentError(Exception):
    """A rule of payments was broken."""


class PlanInvalid(PaymentError):
    """An order's payment plan cannot be turned into payments; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class AmountMismatch(PaymentError):
    """A provider reported a different amount or currency than the payment asks for."""


class NotPayable(PaymentError):
    """The payment is cancelled, refunded or failed: money cannot settle it any more."""


class Outcome(Enum):
    """What a provider's notification did to a payment."""

    PAID = "paid"
    ALREADY_PAID = "already_paid"
    DECLINED = "declined"
    NOT_OPEN = "not_open"  # a decline for a payment nobody can pay any more
    DUPLICATE = "duplicate"  # the provider already told us this very event


def quantized(amount: Decimal, currency: str) -> Decimal:
    """The amount with exactly as many fraction digits as the currency has."""
    return amount.quantize(Decimal(1).scaleb(-CURRENCY_EXPONENTS[currency]))


@dataclass(frozen=True)
class Link:
    """Where the contact pays one payment, as a provider issued it."""

    url: str
    provider_reference: str | None = None
    expires_at: datetime | None = None


@dataclass
class Payment:
    account_id: UUID
    order_id: UUID
    number: int
    amount: Decimal
    currency: str
    provider: str
    type: PaymentType = "regular"
    id: UUID = field(default_factory=uuid4)
    checkout_id: UUID | None = None
    status: PaymentStatus = "unpaid"
    due_at: datetime | None = None
    method: PaymentMethod = "cashless"
    closes_access: bool = False
    link_url: str | None = None
    link_expires_at: datetime | None = None
    provider_reference: str | None = None
    attempts: int = 0
    last_failure: str | None = None
    paid_at: datetime | None = None
    correlation_id: UUID | None = None

    @property
    def is_open(self) -> bool:
        """Can still be paid."""
        return self.status == "unpaid"

    def validate(self) -> None:
        try:
            check_currency(self.currency)
        except ValueError as exc:
            raise PlanInvalid("currency", str(exc)) from None
        if self.number < 1:
            raise PlanInvalid("number", "payments are numbered from 1")
        if self.amount < 0:
            raise PlanInvalid("amount", "a payment cannot be negative")
        try:
            check_scale(self.amount, self.currency)
        except ValueError as exc:
            raise PlanInvalid("amount", str(exc)) from None

    def attach_link(self, link: Link) -> None:
        if not self.is_open:
            raise NotPayable(f"payment {self.id} is {self.status}; it needs no link")
        self.link_url = link.url
        self.link_expires_at = link.expires_at
        if link.provider_reference:
            self.provider_reference = link.provider_reference

    def mark_paid(
        self, amount: Decimal, currency: str, *, at: datetime, provider_reference: str | None = None
    ) -> Outcome:
        """A provider confirmed the money: unpaid becomes paid, once; it counts as an attempt.

        Paying a paid payment again is a no-op (providers repeat themselves); the amount must
        be exactly what the payment asks for, so a partial or foreign-currency charge never
        settles it.
        """
        if self.status == "paid":
            return Outcome.ALREADY_PAID
        if not self.is_open:
            raise NotPayable(f"payment {self.id} is {self.status} and cannot be paid")
        if currency != self.currency:
            raise AmountMismatch(f"paid in {currency}, but payment {self.id} is in {self.currency}")
        if amount != self.amount:
            raise AmountMismatch(
                f"paid {amount} {currency}, but payment {self.id} is {quantized(self.amount, self.currency)} {currency}"
            )
        self.status = "paid"
        self.paid_at = at
        self.attempts += 1
        if provider_reference:
            self.provider_reference = provider_reference
        return Outcome.PAID

    def record_declined(self, reason: str) -> Outcome:
        """A provider refused one try; the payment stays payable through the same link."""
        if not self.is_open:
            return Outcome.NOT_OPEN
        self.attempts += 1
        self.last_failure = (reason.strip() or "declined")[:MAX_REASON_LENGTH]
        return Outcome.DECLINED

    def link_issued(self, cause: Event, *, send_email: bool) -> PaymentLinkIssued:
        if self.link_url is None:
            raise PaymentError(f"payment {self.id} has no link yet")
        return PaymentLinkIssued.caused_by(
            cause,
            order_id=self.order_id,
            payment_id=self.id,
            checkout_id=self.checkout_id,
            amount=quantized(self.amount, self.currency),
            currency=self.currency,
            provider=self.provider,
            url=self.link_url,
            expires_at=self.link_expires_at,
            due_at=self.due_at,
            send_email=send_email,
        )

    def succeeded(self, *, fallback_correlation_id: UUID) -> PaymentSucceeded:
        """The fact for everyone else; traced with the purchase that created the payment, if known."""
        if self.status != "paid" or self.paid_at is None:
            raise PaymentError(f"payment {self.id} is not paid")
        return PaymentSucceeded(
            account_id=self.account_id,
            correlation_id=self.correlation_id or fallback_correlation_id,
            order_id=self.order_id,
            payment_id=self.id,
            amount=quantized(self.amount, self.currency),
            currency=self.currency,
            provider=self.provider,
            provider_reference=self.provider_reference,
            method=self.method,
            paid_at=self.paid_at,
        )


def plan_payments(order: OrderCreated) -> list[Payment]:
    """The payments of a new order: one per entry of its plan, numbered from 1, all unpaid."""
    payments = [
        Payment(
            account_id=order.account_id,
            order_id=order.order_id,
            checkout_id=order.checkout_id,
            number=n,
            type=planned.type,
            amount=planned.amount,
            currency=order.currency,
            due_at=planned.due_at,
            closes_access=planned.closes_access,
            provider=order.provider,
            method="cashless",
            correlation_id=order.correlation_id,
        )
        for n, planned in enumerate(order.payment_plan, start=1)
    ]
    for n, payment in enumerate(payments):
        try:
            payment.validate()
        except PlanInvalid as exc:
            raise PlanInvalid(f"payment_plan.{n}.{exc.field}", str(exc)) from None
    return payments


def first_open(payments: list[Payment]) -> Payment | None:
    """The payment the contact is asked to pay next."""
    return min((p for p in payments if p.is_open), key=lambda p: p.number, default=None)


class PaymentProvider(Protocol):
    """A payment provider's side of issuing links; its confirmations arrive as webhooks."""

    async def create_link(self, payment: Payment, contact: ContactData, *, description: str) -> Link: ...


class PaymentNotFound(PaymentError):
    """No such payment for whoever asked (another account's payment is not found either)."""


class UnknownProvider(PaymentError):
    """The order names a provider this service has no adapter for."""


def provider_for(providers: Mapping[str, PaymentProvider], name: str) -> PaymentProvider:
    try:
        return providers[name]
    except KeyError:
        raise UnknownProvider(f"no payment provider '{name}' is configured") from None
