"""Offers (tariffs) and what opening one snapshots."""

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID, uuid4

from contracts import (
    ContactData, OfferLine, OfferOpened, PlannedPayment, check_currency, check_scale,
)


class OfferError(ValueError):
    """A rule of offers was broken; `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class OfferUnavailable(Exception):
    """The offer cannot be opened (unknown or archived)."""


@dataclass(frozen=True)
class Item:
    product_id: UUID
    product_title: str
    price: Decimal


@dataclass
class Offer:
    id: UUID
    account_id: UUID
    title: str
    currency: str
    items: list[Item]
    discount: Decimal = Decimal(0)
    provider: str = "sandbox"
    status: str = "active"
    version: int = 1

    @property
    def subtotal(self) -> Decimal:
        return sum((i.price for i in self.items), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount

    def validate(self) -> None:
        try:
            check_currency(self.currency)
        except ValueError as exc:
            raise OfferError("currency", str(exc)) from None
        if not self.title.strip():
            raise OfferError("title", "an offer needs a title")
        if not self.items:
            raise OfferError("items", "an offer sells at least one product")
        for n, item in enumerate(self.items):
            if item.price < 0:
                raise OfferError(f"items.{n}.price", "a price cannot be negative")
            try:
                check_scale(item.price, self.currency)
            except ValueError as exc:
                raise OfferError(f"items.{n}.price", str(exc)) from None
        if self.discount < 0:
            raise OfferError("discount", "a discount cannot be negative")
        if self.discount > self.subtotal:
            raise OfferError("discount", "the discount is larger than the sum of the prices")
        try:
            check_scale(self.discount, self.currency)
        except ValueError as exc:
            raise OfferError("discount", str(exc)) from None

    def open(
        self, *, checkout_id: UUID, school_name: str, contact: ContactData, source: str, correlation_id: UUID
    ) -> OfferOpened:
        """Snapshot this offer for one visitor: nobody pays old conditions."""
        if self.status != "active":
            raise OfferUnavailable(f"offer {self.id} is {self.status}")
        return OfferOpened(
            account_id=self.account_id,
            correlation_id=correlation_id,
            checkout_id=checkout_id,
            offer_id=self.id,
            offer_version=self.version,
            offer_title=self.title,
            school_name=school_name,
            currency=self.currency,
            lines=[OfferLine(product_id=i.product_id, product_title=i.product_title, price=i.price) for i in self.items],
            discount=self.discount,
            total=self.total,
            payment_plan=[PlannedPayment(type="regular", amount=self.total)],
            provider=self.provider,
            contact=contact,
            source=source,
        )


@dataclass
class Checkout:
    """One visit that opened an offer, and how far its order and payment link have got."""

    account_id: UUID
    offer_id: UUID
    offer_version: int
    source: str
    id: UUID = field(default_factory=uuid4)
    status: str = "pending"
    order_id: UUID | None = None
    order_number: int | None = None
    payment_url: str | None = None
