"""What this service keeps about an order: only what an email to its contact may show."""

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from contracts import OrderCreated


@dataclass(frozen=True)
class OrderRecipient:
    """Read model of one order, filled from OrderCreated.

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
        )
