"""Request bodies of the offers API. Access terms are the shared contract's, so the vocabulary is one."""

from decimal import Decimal
from typing import Annotated
from uuid import UUID

from contracts import AccessTerms, Amount, DiscountKind, EmailAddress, LessonDelay, Locale, PaymentType
from contracts.access import Certificate
from contracts.events import CheckoutSource, ProviderName
from pydantic import AwareDatetime, Field, field_validator
from servicekit.inputs import Input, Name

from ..domain.offer import OfferStatus
from ..domain.product import ProductKind
from ..domain.school import check_time_zone


class _Body(Input):
    """Unknown fields, control characters and numbers beyond the columns are refused (servicekit.inputs)."""


class SchoolIn(_Body):
    name: Name = Field(max_length=200)
    default_locale: Locale = "en"
    time_zone: str | None = Field(default=None, max_length=64, description="IANA zone; null: the deployment's")
    reply_to: EmailAddress | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else check_time_zone(value)


class LessonIn(_Body):
    id: UUID | None = None  # an existing lesson keeps its id; leave it out for a new one
    title: Name = Field(max_length=300)


class ModuleIn(_Body):
    id: UUID | None = None
    title: Name = Field(max_length=300)
    lessons: list[LessonIn] = Field(default=[], max_length=1_000)


class CourseDefaultsIn(_Body):
    lesson_delays: list[LessonDelay] = Field(default=[], max_length=1_000)
    practice_lesson_ids: list[UUID] = Field(default=[], max_length=1_000)
    checkpoints: bool = False
    comments: bool = True
    certificate: Certificate = "none"
    certificate_conditions: str | None = Field(default=None, max_length=2_000)


class ProductIn(_Body):
    title: Name = Field(max_length=300)
    kind: ProductKind = "course"
    modules: list[ModuleIn] = Field(default=[], max_length=500)
    defaults: CourseDefaultsIn = CourseDefaultsIn()


class ProductPatch(_Body):
    title: Name | None = Field(default=None, max_length=300)
    kind: ProductKind | None = None
    modules: list[ModuleIn] | None = Field(default=None, max_length=500)  # replaces the whole structure
    defaults: CourseDefaultsIn | None = None


class OfferItemIn(_Body):
    product_id: UUID
    price: Amount
    access: AccessTerms = AccessTerms()


class DiscountIn(_Body):
    kind: DiscountKind = "amount"
    value: Amount


class PlanPaymentIn(_Body):
    type: PaymentType = "regular"
    amount: Amount
    due_at: AwareDatetime | None = None
    closes_access: bool = False


Curator = Annotated[Name, Field(max_length=200)]
# A bare amount is an amount off, as before; an object says which kind.
DiscountField = DiscountIn | Amount


class OfferIn(_Body):
    title: Name = Field(max_length=300)
    currency: str = Field(min_length=3, max_length=3)
    items: list[OfferItemIn] = Field(min_length=1, max_length=100)
    discount: DiscountField = Decimal(0)
    payment_plan: list[PlanPaymentIn] | None = Field(default=None, max_length=60)  # None: one payment
    curators: list[Curator] = Field(default=[], max_length=50)
    # Any provider payments announces for the school (checked by the route), not a list fixed here.
    provider: ProviderName = "sandbox"
    status: OfferStatus = "active"


class OfferPatch(_Body):
    """Only the fields given change. `version` (or If-Match) is the version the change was made on."""

    version: int | None = Field(default=None, ge=1)
    title: Name | None = Field(default=None, max_length=300)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    items: list[OfferItemIn] | None = Field(default=None, min_length=1, max_length=100)
    discount: DiscountField | None = None
    payment_plan: list[PlanPaymentIn] | None = Field(default=None, max_length=60)  # null: back to one payment
    curators: list[Curator] | None = Field(default=None, max_length=50)
    provider: ProviderName | None = None
    status: OfferStatus | None = None


class CheckoutIn(_Body):
    name: Name = Field(max_length=200)
    email: EmailAddress
    phone: str | None = Field(default=None, max_length=32)
    locale: Locale | None = None
    source: CheckoutSource = "page"
