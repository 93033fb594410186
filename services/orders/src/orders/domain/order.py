"""The order: what one contact gets, at what price, and how much of it is paid."""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from uuid import UUID


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

    @property
    def status(self) -> PaymentStatus:
        return payment_status(self.total, self.paid)

    @property
    def due(self) -> Decimal:
        return max(self.total - self.paid, Decimal(0))

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
