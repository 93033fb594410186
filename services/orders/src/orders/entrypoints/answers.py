"""What the orders CRM API answers: one model per kind of answer, declared on its routes.

The fields follow the JSON the views have always produced (views.py), key for key and in that
order, so declaring them changed no byte a client reads: money is the Decimal's string at the
currency's precision ("1500.00", "1500" in yen), moments keep their `+00:00`, and what an order
lacks is null.
"""

from typing import Any
from uuid import UUID

from contracts import AccessStatus, AccessTerms, LessonDelay, Locale, OrderSource, OrderStatus
from pydantic import BaseModel, Field
from servicekit.api import AmountText, Timestamp

from ..domain.order import OrderType, PaymentStatus

# --- an order in a list ----------------------------------------------------------------------

class PipelineRef(BaseModel):
    """The pipeline an order is in."""

    id: UUID
    name: str


class StageRef(BaseModel):
    """The stage of its pipeline an order is at."""

    id: UUID
    name: str


class OrderContact(BaseModel):
    """The contact an order is for, as a list shows them."""

    id: UUID
    name: str
    email: str
    phone: str | None = Field(description="In E.164")
    link: str = Field(description="Where the contact's own card is, in the CRM's API")


class OrderSummary(BaseModel):
    """An order as a list shows it: where it is in the funnel, who it is for and its money."""

    id: UUID
    number: int = Field(description="The order's number in its school, from 1")
    created_at: Timestamp
    pipeline: PipelineRef
    stage: StageRef
    payment_status: PaymentStatus = Field(description="Derived from the total and the money received less "
                                                      "refunds; never set by hand")
    status: OrderStatus
    type: OrderType = Field(description="What kind of deal it is, for the team's reports; it changes no rule")
    source: OrderSource
    managers: list[str]
    tags: list[str]
    contact: OrderContact
    currency: str
    total: AmountText
    paid: AmountText = Field(description="What was received, net of refunds")
    due: AmountText = Field(description="What is still owed; never below zero")
    paid_at: Timestamp | None = Field(description="When the order became fully paid")
    offer_id: UUID | None = Field(description="The offer it was bought from; null for a manual order")
    repeat_of: int | None = Field(description="The number of the same contact's first order from the same offer")
    repeats: int = Field(description="How many other orders the same contact has from the same offer")
    version: int = Field(description="What a write sends back as If-Match (the ETag) or `version`")


class OrderPage(BaseModel):
    """A page of orders, and the cursor to the next one."""

    items: list[OrderSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


# --- the order card --------------------------------------------------------------------------

class CardContact(OrderContact):
    """The contact an order is for, as its card shows them."""

    locale: Locale | None


class LineOffer(BaseModel):
    """The offer a line came from."""

    id: UUID
    title: str | None
    system_copy: bool = Field(description="The line points at a system copy of the offer made for this order")


class GrantedLessons(BaseModel):
    """What a line's terms come to with its course's own defaults; null where the catalog cannot tell."""

    lesson_ids: list[UUID] | None = Field(description="The lessons the line opens")
    lesson_delays: list[LessonDelay] | None
    practice_lesson_ids: list[UUID] | None


class AccessWindowView(BaseModel):
    """When a line's access is open, as of now; there is none until money arrived."""

    status: AccessStatus
    starts_at: Timestamp | None
    ends_at: Timestamp | None = Field(description="Null: never ends")


class LineView(BaseModel):
    """One product an order sells, its price and the access it grants."""

    id: UUID
    product_id: UUID
    product_title: str
    offer: LineOffer | None = Field(description="Null for a line added by hand")
    customised: bool = Field(description="The line's price or terms were changed; it no longer follows its offer")
    price: AmountText
    access: AccessTerms
    granted: GrantedLessons
    window: AccessWindowView | None


class OverduePayment(BaseModel):
    """The overdue payment that holds an order's access closed, as its PaymentOverdue said."""

    payment_id: UUID
    amount: AmountText | None
    currency: str | None
    # Kept as it was announced (ISO 8601), not read back as a moment.
    due_at: str | None = Field(description="The payment's planned date, ISO 8601")


class RepeatOrder(BaseModel):
    """Another order of the same contact from the same offer."""

    id: UUID
    number: int
    created_at: Timestamp
    status: OrderStatus
    payment_status: PaymentStatus


class HistoryEntry(BaseModel):
    """One change of an order: when, who and what."""

    at: Timestamp
    actor: str = Field(description="The team member, `system` for consequences of events, or the provider "
                                   "for payments")
    kind: str = Field(description="What kind of change, e.g. `created`, `line_added`, `payment_received`")
    details: dict[str, Any] = Field(description="The change's facts; an edit has `before` and `after` per field")


class OrderCard(OrderSummary):
    """An order whole: its summary, its lines, its money, what holds its access and its history."""

    contact: CardContact
    lines: list[LineView]
    subtotal: AmountText
    discount: AmountText = Field(description="The amount off the subtotal")
    discount_percent: str | None = Field(description="The percent as the manager gave it (\"12.5\"); null when "
                                                     "the discount is an amount", examples=["12.5"])
    refunded: AmountText
    comment: str | None
    first_paid_at: Timestamp | None = Field(description="The first money received; access windows hang on it")
    updated_at: Timestamp
    access_suspended: bool = Field(description="An overdue payment holds every access window closed")
    overdue_payment: OverduePayment | None
    repeat_orders: list[RepeatOrder]
    history: list[HistoryEntry] = Field(description="Oldest first")


class OrderHistory(BaseModel):
    """An order's changes, oldest first."""

    items: list[HistoryEntry]


# --- contacts --------------------------------------------------------------------------------

class ContactCard(BaseModel):
    """A contact of the school."""

    id: UUID
    name: str
    email: str
    phone: str | None = Field(description="In E.164")
    locale: Locale | None
    created_at: Timestamp
    updated_at: Timestamp


class ContactPage(BaseModel):
    """A page of contacts by name, and the cursor to the next one."""

    items: list[ContactCard]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


# --- pipelines and settings ------------------------------------------------------------------

class StageView(BaseModel):
    """One stage of a pipeline."""

    id: UUID
    name: str
    position: int = Field(description="The stage's place in its pipeline, from 0")
    on_full_payment: bool = Field(description="A fully paid order moves here")
    on_cancel: bool = Field(description="A cancelled order moves here")


class PipelineView(BaseModel):
    """A pipeline and its stages, in their order."""

    id: UUID
    name: str
    is_default: bool = Field(description="Where orders go unless one is chosen")
    stages: list[StageView]


class PipelineList(BaseModel):
    """The school's pipelines, the default first."""

    items: list[PipelineView]


class SchoolSettingsView(BaseModel):
    """The school's CRM settings, with the defaults filled in."""

    unpaid_expiry_days: int = Field(description="After how many days an unpaid order from an offer expires")
    phone_region: str | None = Field(description="ISO 3166 alpha-2; phones typed without a country code are "
                                                 "national numbers of it")
