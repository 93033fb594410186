"""What payments keeps besides its payments: the order as the orders service described it, the
links wanted from providers and the reminders that came due."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from contracts import ContactData


@dataclass(frozen=True)
class OrderState:
    order_id: UUID
    account_id: UUID
    order_number: int
    school_name: str
    currency: str
    provider: str
    contact: ContactData
    status: str
    version: int

    @property
    def description(self) -> str:
        return f"{self.school_name}, order {self.order_number}"


@dataclass(frozen=True)
class LinkRequest:
    payment_id: UUID
    purpose: str
    account_id: UUID
    send_email: bool
    generation: int
    correlation_id: UUID
    causation_id: UUID | None
    attempts: int


@dataclass(frozen=True)
class DueReminder:
    payment_id: UUID
    offset_hours: int
    planned_at: datetime
