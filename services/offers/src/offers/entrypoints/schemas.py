"""Request bodies of the offers API."""

from decimal import Decimal
from typing import Literal
from uuid import UUID

from contracts import Amount
from pydantic import BaseModel, ConfigDict, EmailStr, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SchoolIn(_Body):
    name: str = Field(min_length=1, max_length=200)
    default_locale: str = Field(default="en", pattern=r"^[a-z]{2}(_[A-Z]{2})?$")


class ProductIn(_Body):
    title: str = Field(min_length=1, max_length=300)
    kind: Literal["course", "group", "consultation", "other"] = "course"


class OfferItemIn(_Body):
    product_id: UUID
    price: Amount


class OfferIn(_Body):
    title: str = Field(min_length=1, max_length=300)
    currency: str = Field(min_length=3, max_length=3)
    items: list[OfferItemIn] = Field(min_length=1)
    discount: Amount = Decimal(0)
    provider: Literal["sandbox", "stripe", "wayforpay"] = "sandbox"


class CheckoutIn(_Body):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    phone: str | None = Field(default=None, max_length=32)
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2}(_[A-Z]{2})?$")
    source: Literal["page", "widget"] = "page"
