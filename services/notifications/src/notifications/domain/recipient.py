"""What this service keeps about an order and a school: only what an email to its contact may show."""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from contracts import OrderCreated, OrderUpdated


@dataclass(frozen=True)
class School:
    """Read model of a school's profile, filled from SchoolUpdated."""

    account_id: UUID
    name: str
    default_locale: str | None
    time_zone: str | None = None
    reply_to: str | None = None


@dataclass(frozen=True)
class OrderRecipient:
    """Read model of one order, filled from OrderCreated and kept current by OrderUpdated.

    Deliberately narrow: no managers, comments, phone numbers or other contacts, so no
    template can leak them.
    """

    order_id: UUID
    account_id: UUID
    order_number: int
    school_name: str
    contact_name: str
    contact_email: str
    locale: str | None
    currency: str
    total: Decimal
    products: tuple[str, ...]
    contact_id: UUID | None = None
    school_locale: str | None = None
    # 0 until an OrderUpdated arrives: a late copy of an older state never overwrites a newer one.
    order_version: int = 0
    status: str = "active"
    # The school's, from its profile; never stored with the order (at_school fills them in).
    time_zone: str | None = None
    reply_to: str | None = None

    @classmethod
    def from_event(cls, event: OrderCreated) -> "OrderRecipient":
        return cls(
            order_id=event.order_id,
            account_id=event.account_id,
            order_number=event.order_number,
            school_name=event.school_name,
            contact_name=event.contact.name,
            contact_email=str(event.contact.email),
            locale=event.contact.locale,
            currency=event.currency,
            total=event.total,
            products=tuple(line.product_title for line in event.lines),
            contact_id=event.contact_id,
            school_locale=event.school_locale,
        )

    def updated(self, event: OrderUpdated) -> "OrderRecipient":
        """The order as OrderUpdated says it now is; the school's side stays as it was."""
        return replace(self, **changed_by(event))

    def at_school(self, school: School | None) -> "OrderRecipient":
        """The school's current name and language win over the copy the order was created with."""
        if school is None:
            return self
        return replace(self, school_name=school.name, school_locale=school.default_locale or self.school_locale,
                       time_zone=school.time_zone, reply_to=school.reply_to)


def changed_by(event: OrderUpdated) -> dict[str, Any]:
    """What OrderUpdated sets on the order it describes: all but the school's side."""
    return {
        "order_number": event.order_number,
        "contact_name": event.contact.name,
        "contact_email": str(event.contact.email),
        "locale": event.contact.locale,
        "currency": event.currency,
        "total": event.total,
        "products": tuple(line.product_title for line in event.lines),
        "contact_id": event.contact_id,
        "order_version": event.order_version,
        "status": event.status,
    }


@dataclass(frozen=True)
class AccessState:
    """The last access change heard of for an order line: access emails go out on a change only."""

    status: str
    occurred_at: datetime


@dataclass(frozen=True)
class PaymentLink:
    """A payment's web address as an event gave it (PaymentLinkIssued, ReminderRequested)."""

    account_id: UUID
    order_id: UUID
    payment_id: UUID
    url: str
    occurred_at: datetime
