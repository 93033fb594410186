"""The events that cross service boundaries. Additive changes only."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from .envelope import Event
from .money import Amount, CurrencyCode

PaymentType = Literal["regular", "prepayment", "surcharge"]
PaymentMethod = Literal["cashless", "cash", "bank_transfer", "other"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ContactData(_Part):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    phone: str | None = None  # E.164
    locale: str | None = None


class OfferLine(_Part):
    product_id: UUID
    product_title: str
    price: Amount


class PlannedPayment(_Part):
    type: PaymentType = "regular"
    amount: Amount
    due_at: AwareDatetime | None = None  # None: due at once
    closes_access: bool = False


class OrderLine(_Part):
    line_id: UUID
    product_id: UUID
    product_title: str
    price: Amount


class OfferOpened(Event):
    """A visitor opened an offer: the offer as it was at that moment, and who opened it."""

    event_type: Literal["OfferOpened"] = "OfferOpened"
    checkout_id: UUID
    offer_id: UUID
    offer_version: int
    offer_title: str
    school_name: str
    currency: CurrencyCode
    lines: list[OfferLine]
    discount: Amount
    total: Amount
    payment_plan: list[PlannedPayment]
    provider: str
    contact: ContactData
    source: Literal["page", "widget"] = "page"

    def partition_key(self) -> str:
        return str(self.checkout_id)


class OrderCreated(Event):
    """A new order exists; carries what payments and notifications need to act on it."""

    event_type: Literal["OrderCreated"] = "OrderCreated"
    order_id: UUID
    order_number: int
    checkout_id: UUID | None = None
    offer_id: UUID | None = None
    school_name: str
    contact_id: UUID
    contact: ContactData
    currency: CurrencyCode
    lines: list[OrderLine]
    discount: Amount
    total: Amount
    payment_plan: list[PlannedPayment]
    provider: str
    send_payment_link: bool = True

    def partition_key(self) -> str:
        return str(self.order_id)


class PaymentLinkIssued(Event):
    """An unpaid payment has a link the contact can pay through."""

    event_type: Literal["PaymentLinkIssued"] = "PaymentLinkIssued"
    order_id: UUID
    payment_id: UUID
    checkout_id: UUID | None = None
    amount: Amount
    currency: CurrencyCode
    provider: str
    url: str
    expires_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    send_email: bool = True

    def partition_key(self) -> str:
        return str(self.order_id)


class PaymentSucceeded(Event):
    """Money arrived for one payment of an order. Emitted once per payment."""

    event_type: Literal["PaymentSucceeded"] = "PaymentSucceeded"
    order_id: UUID
    payment_id: UUID
    amount: Amount
    currency: CurrencyCode
    provider: str | None = None
    provider_reference: str | None = None
    method: PaymentMethod = "cashless"
    paid_at: datetime

    def partition_key(self) -> str:
        return str(self.order_id)


class ReminderRequested(Event):
    """Someone (a manager, or the schedule) asked to remind the contact to pay."""

    event_type: Literal["ReminderRequested"] = "ReminderRequested"
    order_id: UUID
    payment_id: UUID
    amount: Amount
    currency: CurrencyCode
    url: str
    due_at: AwareDatetime | None = None
    reason: Literal["manual", "scheduled"] = "manual"

    def partition_key(self) -> str:
        return str(self.order_id)


ALL_EVENTS: tuple[type[Event], ...] = (
    OfferOpened,
    OrderCreated,
    PaymentLinkIssued,
    PaymentSucceeded,
    ReminderRequested,
)
