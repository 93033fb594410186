"""What the API asks the orders service to do: validated shapes, no rules."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from contracts import (
    AccessEnd, AccessStart, AccessTerms, Amount, CurrencyCode, DiscountKind, EmailAddress, Locale, PaymentMethod,
    PaymentType, ProviderName,
)
from pydantic import (
    AfterValidator, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationInfo,
    ValidatorFunctionWrapHandler, WrapValidator, field_validator, model_validator,
)
from servicekit.inputs import Input, Name, moment_fault

from ..domain.order import OrderType

Text200 = Field(max_length=200)  # of a Name: stripped, never blank

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day_or_moment(value: Any) -> Any:
    # A bare date stays a date rather than whatever the date-time parser makes of it, so what it
    # means (the start of that day in the school's zone) is the domain's rule (domain.zones).
    if isinstance(value, str) and _DAY.fullmatch(value):
        return date.fromisoformat(value)
    return value


def _in_range(value: date | datetime) -> date | datetime:
    # `Input` bounds date-times only; a bare date needs the same bounds before it becomes one.
    fault = moment_fault(value)  # type: ignore[arg-type]
    if fault:
        raise ValueError(fault)
    return value


# A date or a date-time as a manager types it: a date, or a date-time with or without an offset.
# The use case reads it in the school's time zone (domain.zones); nothing stores it as typed.
LocalMoment = Annotated[datetime | date, BeforeValidator(_day_or_moment), AfterValidator(_in_range)]


class LocalAccessStart(AccessStart):
    at: LocalMoment | None = None


class LocalAccessEnd(AccessEnd):
    at: LocalMoment | None = None


class AccessInput(AccessTerms):
    """The contract's access terms, but their dates may be local (LocalMoment).

    Never passed on as they are: the use case turns them into AccessTerms (domain.zones)."""

    start: LocalAccessStart = LocalAccessStart()
    end: LocalAccessEnd = LocalAccessEnd()

    @field_validator("end")
    @classmethod
    def _ends_after_start(cls, end: AccessEnd, info: ValidationInfo) -> AccessEnd:
        # Replaces the contract's check: a local date and an instant compare only once both are
        # instants, in the school's zone (domain.zones.terms_in_zone).
        return end


class _Command(Input):
    """Unknown fields, control characters and numbers beyond the columns are refused (servicekit.inputs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ContactFields(_Command):
    name: Name = Text200
    email: EmailAddress
    phone: str | None = Field(default=None, max_length=40)
    locale: Locale | None = None


class ContactChanges(_Command):
    name: Name | None = Field(default=None, max_length=200)
    email: EmailAddress | None = None
    phone: str | None = Field(default=None, max_length=40)
    locale: Locale | None = None


class LineFields(_Command):
    product_id: UUID  # a product of the school's catalog
    product_title: Name | None = Field(default=None, max_length=300)  # None: the catalog's
    price: Amount
    access: AccessInput = AccessInput()
    offer_id: UUID | None = None
    offer_title: str | None = Field(default=None, max_length=300)


class PaymentFields(_Command):
    type: PaymentType = "regular"
    amount: Amount
    due_at: LocalMoment | None = None
    closes_access: bool = False
    method: PaymentMethod = "cashless"
    paid_at: LocalMoment | None = None
    comment: str | None = Field(default=None, max_length=2_000)



class DiscountFields(_Command):
    kind: DiscountKind = "amount"
    value: Amount


_AMOUNT: TypeAdapter[Decimal] = TypeAdapter(Amount)


def _one_form(value: Any, _: ValidatorFunctionWrapHandler) -> Any:
    # Validated as the form it came in, so a refusal names `discount` or `discount.value`, never
    # a member of the union (which would also say that a bare amount is not an object).
    if isinstance(value, dict | DiscountFields):
        return DiscountFields.model_validate(value)
    return _AMOUNT.validate_python(value)


# A bare amount is an amount off, as before; an object says which kind (as an offer's discount).
DiscountField = Annotated[DiscountFields | Amount, WrapValidator(_one_form)]


class NewOrder(_Command):
    pipeline_id: UUID | None = None
    stage_id: UUID | None = None
    type: OrderType = "regular"
    managers: list[str] = Field(default=[], max_length=50)
    tags: list[str] = Field(default=[], max_length=50)
    comment: str | None = Field(default=None, max_length=5_000)
    contact_id: UUID | None = None
    contact: ContactFields | None = None
    currency: CurrencyCode
    lines: list[LineFields] = Field(min_length=1, max_length=100)
    discount: DiscountField = Decimal(0)
    payments: list[PaymentFields] = Field(default=[], max_length=50)
    provider: ProviderName = "sandbox"
    send_payment_link: bool = True
    send_confirmation: bool = False

    @model_validator(mode="after")
    def _one_contact(self) -> Self:
        if (self.contact_id is None) == (self.contact is None):
            raise ValueError("give either contact_id or contact")
        return self


class OrderChanges(_Command):
    """Only the fields present change."""

    version: int | None = Field(default=None, ge=1)
    pipeline_id: UUID | None = None
    stage_id: UUID | None = None
    type: OrderType | None = None
    managers: list[str] | None = Field(default=None, max_length=50)
    tags: list[str] | None = Field(default=None, max_length=50)
    comment: str | None = Field(default=None, max_length=5_000)
    discount: DiscountField | None = None
    contact_id: UUID | None = None
    status: Literal["cancelled", "active"] | None = None  # "active" reopens a cancelled or expired order


class NewLine(LineFields):
    version: int | None = Field(default=None, ge=1)


class LineChanges(_Command):
    version: int | None = Field(default=None, ge=1)
    product_title: Name | None = Field(default=None, max_length=300)
    price: Amount | None = None
    access: AccessInput | None = None


class Versioned(_Command):
    version: int | None = Field(default=None, ge=1)


class StageFields(_Command):
    id: UUID | None = None
    name: Name = Text200
    on_full_payment: bool = False
    on_cancel: bool = False


class NewPipeline(_Command):
    name: Name = Text200
    stages: list[StageFields] = Field(min_length=1, max_length=50)
    is_default: bool = False


class PipelineChanges(_Command):
    name: Name | None = Field(default=None, max_length=200)
    stages: list[StageFields] | None = Field(default=None, min_length=1, max_length=50)
    is_default: Literal[True] | None = None


class SchoolSettings(_Command):
    """Only the fields present change; null puts one back to its default."""

    unpaid_expiry_days: int | None = Field(default=None, ge=1, le=365)
    phone_region: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")  # ISO 3166 alpha-2
