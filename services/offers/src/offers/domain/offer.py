"""Offers (tariffs), their versions and system copies, and what opening one snapshots."""

import json
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal, get_args
from uuid import UUID, uuid4

from contracts import (
    MAX_AMOUNT, AccessTerms, ContactData, OfferCopyLine, OfferLine, OfferOpened, OfferUpdated, PlannedPayment,
    check_currency, quantize,
)

from .errors import OfferArchived, OfferError, OfferUnavailable, StaleVersion
from .pricing import Discount, PlanPayment, fits, validate_plan

__all__ = ["Checkout", "Item", "Offer", "OfferArchived", "OfferError", "OfferUnavailable", "StaleVersion"]

# Which providers exist is payments' to say (it announces each school's); an offer only needs a
# name of the shape payments gives its providers (contracts.events.ProviderName).
PROVIDER_NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")
# An archived offer is still shown to the team but no longer sold.
OfferStatus = Literal["active", "archived"]
STATUSES = get_args(OfferStatus)
# A checkout is ready once orders has numbered its order and payments has issued its link.
CheckoutStatus = Literal["pending", "ready"]
COPY_SUFFIX = " (Copy system)"


@dataclass(frozen=True)
class Item:
    product_id: UUID
    product_title: str
    price: Decimal
    access: AccessTerms = AccessTerms()


@dataclass
class Offer:
    id: UUID
    account_id: UUID
    title: str
    currency: str
    items: list[Item]
    discount: Discount = Discount()
    provider: str = "sandbox"
    status: OfferStatus = "active"
    version: int = 1
    plan: list[PlanPayment] | None = None  # None: one payment of the total
    curators: list[str] = field(default_factory=list)
    is_system_copy: bool = False
    source_offer_id: UUID | None = None

    @property
    def subtotal(self) -> Decimal:
        return sum((i.price for i in self.items), Decimal(0))

    @property
    def discount_amount(self) -> Decimal:
        return self.discount.amount(self.currency, self.subtotal)

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount_amount

    def validate(self) -> None:
        try:
            check_currency(self.currency)
        except ValueError as exc:
            raise OfferError("currency", str(exc)) from None
        if not self.title.strip():
            raise OfferError("title", "an offer needs a title")
        if not self.items:
            raise OfferError("items", "an offer sells at least one product")
        products: set[UUID] = set()
        for n, item in enumerate(self.items):
            if item.product_id in products:
                raise OfferError(f"items.{n}.product_id", "a product appears once in an offer")
            products.add(item.product_id)
            if item.price < 0:
                raise OfferError(f"items.{n}.price", "a price cannot be negative")
            fits(item.price, self.currency, f"items.{n}.price")
        if self.subtotal >= MAX_AMOUNT:
            raise OfferError("items", f"the prices add up to {self.subtotal}, more than an offer can cost")
        self.discount.validate(self.currency, self.subtotal)
        validate_plan(self.plan, self.currency, self.total)
        if not PROVIDER_NAME.fullmatch(self.provider):
            raise OfferError("provider", "a provider's name is lower-case letters, digits and '_', at most 50")
        if self.status not in STATUSES:
            raise OfferError("status", "an offer is 'active' or 'archived'")
        for n, curator in enumerate(self.curators):
            if not curator.strip():
                raise OfferError(f"curators.{n}", "a curator is a name or a user id")

    def check_version(self, expected: int) -> None:
        if expected != self.version:
            raise StaleVersion(self.version)

    def changed(self, **changes: Any) -> "Offer | None":
        """The next version with these changes, or None when they change nothing."""
        candidate = replace(self, **changes)
        candidate.validate()
        if candidate.snapshot() == self.snapshot():
            return None
        candidate.version = self.version + 1
        return candidate

    def money(self, amount: Decimal) -> str:
        try:
            return format(quantize(amount, self.currency), "f")
        except ValueError:
            return format(amount, "f")

    def snapshot(self) -> dict[str, Any]:
        """Everything a version fixes, JSON-ready (money as strings with the currency's digits)."""
        discount = (format(self.discount.value.normalize(), "f") if self.discount.kind == "percent"
                    else self.money(self.discount.value))
        return {
            "title": self.title,
            "currency": self.currency,
            "items": [
                {"product_id": str(i.product_id), "product_title": i.product_title, "price": self.money(i.price),
                 "access": json.loads(i.access.model_dump_json())}
                for i in self.items
            ],
            "discount": {"kind": self.discount.kind, "value": discount},
            "payment_plan": None if self.plan is None else [
                {"type": p.type, "amount": self.money(p.amount),
                 "due_at": p.due_at.isoformat() if p.due_at else None, "closes_access": p.closes_access}
                for p in self.plan
            ],
            "curators": list(self.curators),
            "provider": self.provider,
            "status": self.status,
            "is_system_copy": self.is_system_copy,
            "source_offer_id": str(self.source_offer_id) if self.source_offer_id else None,
        }

    def planned_payments(self) -> list[PlannedPayment]:
        if self.plan is None:
            return [PlannedPayment(type="regular", amount=self.total)]
        return [
            PlannedPayment(type=p.type, amount=p.amount, due_at=p.due_at, closes_access=p.closes_access)
            for p in self.plan
        ]

    def lines(self) -> list[OfferLine]:
        return [OfferLine(product_id=i.product_id, product_title=i.product_title, price=i.price, access=i.access)
                for i in self.items]

    def updated(self, correlation_id: UUID, causation_id: UUID | None = None) -> OfferUpdated:
        return OfferUpdated(
            account_id=self.account_id, correlation_id=correlation_id, causation_id=causation_id,
            offer_id=self.id, offer_version=self.version, offer_title=self.title, currency=self.currency,
            lines=self.lines(), archived=self.status == "archived", is_system_copy=self.is_system_copy,
            source_offer_id=self.source_offer_id,
        )

    def open(
        self, *, checkout_id: UUID, school_name: str, contact: ContactData, source: str, correlation_id: UUID,
        school_locale: str | None = None,
    ) -> OfferOpened:
        """Snapshot this offer for one visitor: nobody pays old conditions."""
        if self.is_system_copy:
            raise OfferUnavailable()
        if self.status != "active":
            raise OfferArchived()
        return OfferOpened(
            account_id=self.account_id,
            correlation_id=correlation_id,
            checkout_id=checkout_id,
            offer_id=self.id,
            offer_version=self.version,
            offer_title=self.title,
            school_name=school_name,
            currency=self.currency,
            lines=self.lines(),
            discount=self.discount_amount,
            total=self.total,
            payment_plan=self.planned_payments(),
            provider=self.provider,
            contact=contact,
            source=source,
            school_locale=school_locale,
        )

    def system_copy(self, copy_id: UUID, lines: list[OfferCopyLine], titles: dict[UUID, str]) -> "Offer":
        """This offer for one order's customised terms: the given lines' prices and terms replace
        the source's; a product the source no longer has is added (its title from `titles`).

        The copy is sold on the same conditions (currency, discount rule, plan, provider) where they
        still hold: an amount discount larger than the new subtotal becomes the subtotal, and a
        split plan that no longer adds up becomes one payment of the total.
        """
        given = {line.product_id: line for line in lines}
        items = [
            replace(i, price=given[i.product_id].price, access=given[i.product_id].access)
            if i.product_id in given else i
            for i in self.items
        ]
        present = {i.product_id for i in self.items}
        items += [Item(line.product_id, titles[line.product_id], line.price, line.access)
                  for line in lines if line.product_id not in present]
        title = self.title if self.title.endswith(COPY_SUFFIX) else self.title + COPY_SUFFIX
        copy = Offer(
            id=copy_id, account_id=self.account_id, title=title, currency=self.currency, items=items,
            discount=self.discount, provider=self.provider, status="active", version=1, plan=self.plan,
            curators=list(self.curators), is_system_copy=True, source_offer_id=self.id,
        )
        if copy.discount.kind == "amount" and copy.discount.value > copy.subtotal:
            copy.discount = Discount("amount", copy.subtotal)
        if copy.plan is not None:
            try:
                validate_plan(copy.plan, copy.currency, copy.total)
            except OfferError:
                copy.plan = None
        copy.validate()
        return copy


@dataclass
class Checkout:
    """One visit that opened an offer, and how far its order and payment link have got."""

    account_id: UUID
    offer_id: UUID
    offer_version: int
    source: str
    id: UUID = field(default_factory=uuid4)
    status: CheckoutStatus = "pending"
    order_id: UUID | None = None
    order_number: int | None = None
    payment_url: str | None = None
