"""What the payments CRM API answers: one model per kind of answer, declared on its routes.

The fields follow the JSON the views have always produced, key for key and in that order, so
declaring them changed no byte a client reads: money is the Decimal's string at the currency's
precision ("1500.00"), moments keep their `+00:00`, and what a payment lacks is null.
"""

from typing import Literal
from uuid import UUID

from contracts import PaymentMethod, PaymentType, ProviderName
from pydantic import BaseModel, Field
from servicekit.api import AmountText, Timestamp

from ..domain.payment import PaymentStatus

class PaymentPartView(BaseModel):
    """One method's share of a payment settled in several."""

    # In the order the stored parts come back in (PostgreSQL's JSONB orders keys by length).
    amount: AmountText
    method: PaymentMethod
    reference: str | None = None


class AttemptView(BaseModel):
    """One try to pay through the provider, and what it came to."""

    at: Timestamp
    provider: ProviderName
    outcome: Literal["succeeded", "declined"]
    reason: str | None = Field(description="The provider's reason for a decline")


class PaymentCard(BaseModel):
    """A payment as the CRM shows it: its plan, its state, its link and its history of tries."""

    id: UUID
    order_id: UUID
    checkout_id: UUID | None
    number: int = Field(description="The payment's place in its order's plan, from 1")
    type: PaymentType
    status: PaymentStatus
    amount: AmountText
    currency: str
    due_at: Timestamp | None = Field(description="The planned date")
    method: PaymentMethod
    provider: ProviderName
    link_url: str | None
    link_expires_at: Timestamp | None
    provider_reference: str | None
    closes_access: bool
    attempts: int
    last_failure: str | None
    paid_at: Timestamp | None
    comment: str | None
    link_error: str | None
    refunded_amount: AmountText
    marked_by: str | None = Field(description="The team member who recorded the money by hand; null when a "
                                              "provider did")
    parts: list[PaymentPartView] = Field(description="A split payment's parts; empty when it is paid in one")
    created_at: Timestamp
    updated_at: Timestamp
    attempt_history: list[AttemptView] = Field(description="The tries through the provider, oldest first")


class OrderPayments(BaseModel):
    """An order's payments, in the order of its plan."""

    items: list[PaymentCard]


class ProviderSettingsView(BaseModel):
    """A provider's settings for the school; secrets are named, never shown."""

    provider: ProviderName
    configured: bool
    settings: dict[str, str] = Field(description="The settings that are not secrets")
    secrets_set: list[str] = Field(description="Which secrets are stored, by name")
    webhook_url: str = Field(description="Where the provider is to send its notifications for this school")


class ReminderSchedule(BaseModel):
    """When scheduled reminders go out, in hours around the planned date (negative: before it)."""

    offsets_hours: list[int]
