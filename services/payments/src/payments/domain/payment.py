"""Payments of an order: what is owed, what a provider reported, and how a link is asked for."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Literal, TypeVar
from uuid import UUID, uuid4

from contracts import (
    CURRENCY_EXPONENTS, ContactData, Event, OrderCreated, PaymentCancelled, PaymentFailed, PaymentLinkIssued,
    PaymentOverdue, PaymentRefunded, PaymentSucceeded, ReminderRequested, check_currency, check_scale,
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


class NotEditable(PaymentError):
    """The change is not allowed for a payment in its current state; `field` names what was asked."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Outcome(Enum):
    """What a provider's notification did to a payment."""

    PAID = "paid"
    ALREADY_PAID = "already_paid"
    DECLINED = "declined"
    NOT_OPEN = "not_open"  # a decline for a payment nobody can pay any more
    DUPLICATE = "duplicate"  # the provider already told us this very event
    REFUNDED = "refunded"
    NOTHING = "nothing"  # a report that changes nothing (an older or smaller refund, say)
    NOT_OURS = "not_ours"  # about a payment this school does not have (another shop on the same account)


def quantized(amount: Decimal, currency: str) -> Decimal:
    """The amount with exactly as many fraction digits as the currency has."""
    return amount.quantize(Decimal(1).scaleb(-CURRENCY_EXPONENTS[currency]))


@dataclass(frozen=True)
class Link:
    """Where the contact pays one payment, as a provider issued it."""

    url: str
    provider_reference: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class PaymentPart:
    """One method's share of a payment settled in several (part cash, part bank transfer...)."""

    method: PaymentMethod
    amount: Decimal
    reference: str | None = None

    def as_json(self, currency: str) -> dict[str, str | None]:
        return {"method": self.method, "amount": str(quantized(self.amount, currency)), "reference": self.reference}


def check_parts(parts: list[PaymentPart], amount: Decimal, currency: str) -> tuple[PaymentPart, ...]:
    """The parts of a split payment, each positive and all adding up to exactly the payment's amount."""
    if not parts:
        raise PlanInvalid("parts", "a split payment needs at least one part")
    for n, part in enumerate(parts):
        if part.amount <= 0:
            raise PlanInvalid(f"parts.{n}.amount", "each part is a positive amount")
        try:
            check_scale(part.amount, currency)
        except ValueError as exc:
            raise PlanInvalid(f"parts.{n}.amount", str(exc)) from None
    total = sum((p.amount for p in parts), Decimal(0))
    if total != amount:
        raise PlanInvalid(
            "parts",
            f"the parts add up to {quantized(total, currency)} {currency}, "
            f"but the payment is {quantized(amount, currency)} {currency}",
        )
    return tuple(PaymentPart(p.method, quantized(p.amount, currency), p.reference) for p in parts)


def main_method(parts: tuple[PaymentPart, ...]) -> PaymentMethod:
    """The method a split payment is reported under: its largest part's (the first of equal ones).

    Reports grouped by method then count the money where most of it came from, rather than
    losing every split payment in "other"; the parts themselves stay on the payment.
    """
    return max(parts, key=lambda p: p.amount).method


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
    comment: str | None = None
    link_generation: int = 0
    link_error: str | None = None
    refunded_amount: Decimal = Decimal(0)
    overdue_notified_at: datetime | None = None
    marked_by: str | None = None  # the team member who recorded it paid by hand
    parts: tuple[PaymentPart, ...] = ()

    @property
    def is_open(self) -> bool:
        """Can still be paid."""
        return self.status == "unpaid"

    @property
    def takes_link(self) -> bool:
        """Paid through a provider's page: only an open cashless payment has a link."""
        return self.is_open and self.method == "cashless"

    def link_usable(self, now: datetime, *, margin: timedelta = timedelta(minutes=10)) -> bool:
        """The current link still opens a payable page for a while; otherwise a fresh one is needed."""
        if self.link_url is None:
            return False
        return self.link_expires_at is None or self.link_expires_at > now + margin

    def want_fresh_link(self) -> int:
        """A new link is wanted: the old one is forgotten and the generation names the new one."""
        if not self.takes_link:
            raise NotPayable(f"payment {self.id} is {self.status} by {self.method}; it takes no link")
        self.link_url = None
        self.link_expires_at = None
        self.link_error = None
        self.link_generation += 1
        return self.link_generation

    def forget_link(self, provider_reference: str | None) -> bool:
        """The provider says a link expired; forget it if it is the current one."""
        if self.link_url is None or (provider_reference and self.provider_reference != provider_reference):
            return False
        self.link_url = None
        self.link_expires_at = None
        return True

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
        self.link_error = None
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

    def mark_paid_by_hand(
        self, *, at: datetime, comment: str, method: PaymentMethod | None = None,
        external_reference: str | None = None, marked_by: str | None = None,
        parts: list[PaymentPart] | None = None,
    ) -> Outcome:
        """The team says the money arrived outside any provider (cash, a bank transfer...).

        With `parts` the money came in several methods: they must add up to exactly the
        payment's amount, and the payment is reported under its largest part's method.
        """
        if self.status == "paid":
            return Outcome.ALREADY_PAID
        if not self.is_open:
            raise NotPayable(f"payment {self.id} is {self.status} and cannot be paid")
        if parts is not None and method is not None:
            raise PlanInvalid("method", "give either method or parts: a split payment's method follows its parts")
        checked = check_parts(parts, self.amount, self.currency) if parts is not None else ()
        self.status = "paid"
        self.paid_at = at
        self.comment = comment
        self.marked_by = marked_by
        self.parts = checked
        if checked:
            self.method = main_method(checked)
        elif method is not None:
            self.method = method
        if external_reference:
            self.provider_reference = external_reference
        return Outcome.PAID

    def cancel(self) -> None:
        """No longer owed; only an unpaid payment can be cancelled."""
        if self.status != "unpaid":
            raise NotEditable("status", f"payment {self.id} is {self.status}; only an unpaid payment can be cancelled")
        self.status = "cancelled"
        self.link_url = None
        self.link_expires_at = None

    def reschedule(self, due_at: datetime | None) -> None:
        if self.status != "unpaid":
            raise NotEditable("due_at", f"payment {self.id} is {self.status}; its date can no longer change")
        if due_at != self.due_at:
            self.due_at = due_at
            self.overdue_notified_at = None

    def change_amount(self, amount: Decimal) -> bool:
        """True if the amount changed (a provider link for the old amount is then useless)."""
        if self.status != "unpaid":
            raise NotEditable("amount", f"payment {self.id} is {self.status}; its amount can no longer change")
        if amount < 0:
            raise NotEditable("amount", "a payment cannot be negative")
        try:
            check_scale(amount, self.currency)
        except ValueError as exc:
            raise NotEditable("amount", str(exc)) from None
        if amount == self.amount:
            return False
        self.amount = quantized(amount, self.currency)
        return True

    def record_refund(self, refunded_total: Decimal, currency: str) -> Decimal:
        """A provider reports how much of this payment it has refunded so far; returns what is new.

        Providers report the running total, so a repeated or late (smaller) report refunds nothing.
        """
        if currency != self.currency:
            raise AmountMismatch(f"refunded in {currency}, but payment {self.id} is in {self.currency}")
        if self.status not in ("paid", "refunded"):
            raise NotPayable(f"payment {self.id} is {self.status}; nothing was paid to refund")
        if refunded_total > self.amount:
            raise AmountMismatch(f"refunded {refunded_total} {currency}, more than the payment's {self.amount}")
        new = refunded_total - self.refunded_amount
        if new <= 0:
            return Decimal(0)
        self.refunded_amount = refunded_total
        if refunded_total == self.amount:
            self.status = "refunded"
        return quantized(new, self.currency)

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

    def _trace(self, correlation_id: UUID, causation_id: UUID | None) -> dict[str, object]:
        return {
            "account_id": self.account_id, "correlation_id": self.correlation_id or correlation_id,
            "causation_id": causation_id, "order_id": self.order_id, "payment_id": self.id,
        }

    def failed(self, *, at: datetime, correlation_id: UUID) -> PaymentFailed:
        return PaymentFailed(
            **self._trace(correlation_id, None), amount=quantized(self.amount, self.currency),
            currency=self.currency, provider=self.provider, attempt=max(self.attempts, 1),
            reason=self.last_failure or "declined", failed_at=at,
        )

    def cancelled(self, *, correlation_id: UUID, causation_id: UUID | None = None) -> PaymentCancelled:
        return PaymentCancelled(
            **self._trace(correlation_id, causation_id), amount=quantized(self.amount, self.currency),
            currency=self.currency,
        )

    def overdue(self, *, correlation_id: UUID) -> PaymentOverdue:
        if self.due_at is None:
            raise PaymentError(f"payment {self.id} has no planned date")
        return PaymentOverdue(
            **self._trace(correlation_id, None), amount=quantized(self.amount, self.currency),
            currency=self.currency, due_at=self.due_at, closes_access=self.closes_access,
        )

    def refunded(self, amount: Decimal, *, at: datetime, correlation_id: UUID) -> PaymentRefunded:
        return PaymentRefunded(
            **self._trace(correlation_id, None), amount=amount, currency=self.currency,
            provider_reference=self.provider_reference, refunded_at=at,
        )

    def reminder(self, *, reason: str, correlation_id: UUID, causation_id: UUID | None = None) -> ReminderRequested:
        if self.link_url is None:
            raise PaymentError(f"payment {self.id} has no link to remind with")
        return ReminderRequested(
            **self._trace(correlation_id, causation_id), amount=quantized(self.amount, self.currency),
            currency=self.currency, url=self.link_url, due_at=self.due_at, reason=reason,
        )

    def link_issued_now(
        self, *, send_email: bool, correlation_id: UUID, causation_id: UUID | None = None
    ) -> PaymentLinkIssued:
        """The link event outside the order's creation (a CRM action or the worker)."""
        if self.link_url is None:
            raise PaymentError(f"payment {self.id} has no link yet")
        return PaymentLinkIssued(
            **self._trace(correlation_id, causation_id), checkout_id=self.checkout_id,
            amount=quantized(self.amount, self.currency), currency=self.currency, provider=self.provider,
            url=self.link_url, expires_at=self.link_expires_at, due_at=self.due_at, send_email=send_email,
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
            marked_by=self.marked_by,
        )


def plan_payments(order: OrderCreated) -> list[Payment]:
    """The payments of a new order: one per entry of its plan, numbered from 1.

    An entry with `paid_at` was already paid (cash taken by the manager, say) and is created paid.
    """
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
            method=planned.method,
            comment=planned.comment,
            status="paid" if planned.paid_at is not None else "unpaid",
            paid_at=planned.paid_at,
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
    """The payment the contact is asked to pay next through a provider's page."""
    return min((p for p in payments if p.takes_link), key=lambda p: p.number, default=None)


@dataclass(frozen=True)
class LinkOrder:
    """What a provider needs to issue a link for one payment."""

    payment: Payment
    contact: ContactData
    description: str
    generation: int  # names the attempt: the same generation is the same request to the provider
    settings: Mapping[str, object]  # the school's credentials for this provider
    locale: str | None = None


class PaymentNotFound(PaymentError):
    """No such payment for whoever asked (another account's payment is not found either)."""


class UnknownProvider(PaymentError):
    """The order names a provider this service has no adapter for."""

    field = "provider"


P = TypeVar("P")


def provider_for(providers: Mapping[str, P], name: str) -> P:
    try:
        return providers[name]
    except KeyError:
        raise UnknownProvider(f"no payment provider '{name}' is configured") from None
