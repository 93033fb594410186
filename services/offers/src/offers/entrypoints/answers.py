"""What the offers API answers: one model per kind of answer, declared on its routes.

The fields follow the JSON the views have always produced, key for key and in that order, so
declaring them changed no byte a client reads. AmountText is the Decimal's string at the currency's
precision ("1500.00", "1500" in JPY). Moments the views hand over as datetimes are written as
they always were (pydantic's form: `Z` for UTC); those a version's snapshot holds as text keep
the `+00:00` they were stored with (Timestamp). Access terms, course outlines and the closed
sets (statuses, kinds, payment types) are the ones the bodies, the domain and the events use.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from contracts import AccessTerms, CourseDefaultsOutline, DiscountKind, Locale, ModuleOutline, PaymentType, ProviderName
from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer
from servicekit.api import AmountText, Timestamp

from ..domain.offer import CheckoutStatus, OfferStatus
from ..domain.product import ProductKind

class SchoolCard(BaseModel):
    """The school's profile: what its contacts see of it."""

    name: str
    default_locale: Locale = Field(description="The language of the school's emails and pages")
    time_zone: str | None = Field(description="An IANA zone name; null: the deployment's default")
    reply_to: str | None = Field(description="Where contacts' replies go; null: the platform's sender")


class ProductCard(BaseModel):
    """A product with its course structure and the defaults its lines get "as in the course"."""

    id: UUID
    title: str
    kind: ProductKind
    modules: list[ModuleOutline] = Field(description="Ordered modules, each with its ordered lessons")
    defaults: CourseDefaultsOutline


class ProductList(BaseModel):
    """The school's products, oldest first."""

    items: list[ProductCard]


class OfferLineView(BaseModel):
    """One product an offer sells, at its price, with the access it grants."""

    product_id: UUID
    product_title: str
    price: AmountText
    access: AccessTerms


class DiscountRule(BaseModel):
    """The discount as entered: an amount off, or a percent of the subtotal."""

    kind: DiscountKind
    value: str = Field(description="The amount at the currency's precision, or the percent as entered "
                                   "(\"12.5\")", examples=["47.36"])


class PlannedPaymentView(BaseModel):
    """One payment of the offer's plan (the whole total when it has no split plan)."""

    type: PaymentType
    amount: AmountText
    due_at: datetime | None = Field(description="null: due at once")
    closes_access: bool = Field(description="Whether access waits for this payment")


class OfferCard(BaseModel):
    """An offer (tariff) as the CRM shows it: its lines, its money, its plan, its current version."""

    id: UUID
    title: str
    currency: str
    status: OfferStatus
    version: int = Field(description="The current version; also the ETag a change names in If-Match")
    provider: ProviderName
    items: list[OfferLineView]
    subtotal: AmountText = Field(description="The sum of the line prices")
    discount: AmountText = Field(description="The amount the discount takes off the subtotal")
    discount_rule: DiscountRule
    total: AmountText
    payment_plan: list[PlannedPaymentView]
    curators: list[str]
    is_system_copy: bool = Field(description="Made for one order's customised terms; never sold publicly")
    source_offer_id: UUID | None = Field(description="The offer a system copy was made from")


class OfferList(BaseModel):
    """The school's offers (without the system copies unless asked for)."""

    items: list[OfferCard]


class StoredPlannedPayment(BaseModel):
    """One payment of a split plan, as a version fixed it."""

    type: PaymentType
    amount: AmountText
    due_at: Timestamp | None = Field(description="null: due at once")
    closes_access: bool


def _jsonb_order(value: Any) -> Any:
    # PostgreSQL's JSONB gives an object's keys back shortest first, then in byte order, at
    # every depth: the order a version's snapshot has always been answered in.
    if isinstance(value, dict):
        return {key: _jsonb_order(value[key])
                for key in sorted(value, key=lambda k: (len(k.encode()), k.encode()))}
    if isinstance(value, list):
        return [_jsonb_order(item) for item in value]
    return value


class OfferVersion(BaseModel):
    """Everything one version of an offer fixed, as it was stored: its number, when, and its snapshot.

    The snapshot's members come in the order the database keeps them, at every depth; a client
    reading JSON by name sees the same lines, discount rule and plan as on the offer.
    """

    version: int
    created_at: datetime
    items: list[OfferLineView]
    title: str
    status: OfferStatus
    curators: list[str]
    currency: str
    discount: DiscountRule
    provider: ProviderName
    payment_plan: list[StoredPlannedPayment] | None = Field(description="null: one payment of the total")
    is_system_copy: bool
    source_offer_id: UUID | None

    @model_serializer(mode="wrap")
    def _as_stored(self, handler: SerializerFunctionWrapHandler):
        # No return annotation on purpose: with one, the document would describe this answer
        # by it instead of by the fields above.
        return {key: _jsonb_order(value) for key, value in handler(self).items()}


class OfferVersions(BaseModel):
    """Every version of an offer, oldest first."""

    items: list[OfferVersion]


class PublicOfferLine(BaseModel):
    title: str
    price: AmountText


class PublicOffer(BaseModel):
    """What an offer page shows a visitor: titles and prices, nothing internal."""

    id: UUID
    title: str
    school_name: str
    currency: str
    items: list[PublicOfferLine]
    discount: AmountText
    total: AmountText


class CheckoutOpened(BaseModel):
    """The checkout a visitor's open started; its status follows at `status_url`."""

    checkout_id: UUID
    status_url: str = Field(description="The public URL to poll for the order number and the payment link")


class CheckoutStatusView(BaseModel):
    """What the visitor's page polls: ready once the order has its number and the payment its link."""

    status: CheckoutStatus
    order_number: int | None
    payment_url: str | None
