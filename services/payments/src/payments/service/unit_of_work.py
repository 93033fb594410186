"""What payments's use cases need from the world: its stores, the outbox and the inbox.

The adapters implement it over one PostgreSQL transaction (adapters/unit_of_work.py); the unit
tests over memory.
"""

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from contracts import Event, OrderCreated, OrderUpdated
from servicekit.idempotency import Idempotent

from ..domain.payment import Payment
from ..domain.records import DueReminder, LinkRequest, OrderState


class Payments(Protocol):
    async def get(self, payment_id: UUID, *, account_id: UUID | None = None,
                  for_update: bool = False) -> Payment | None:
        """One payment (the school's, when `account_id` is given); `for_update` holds it until commit,
        so concurrent confirmations queue up."""
        ...

    async def add(self, new: list[Payment]) -> None: ...

    async def save(self, payment: Payment) -> None:
        """What a use case may change on it; identity and order are fixed once written."""
        ...

    async def save_settled(self, payment: Payment) -> None:
        """`save` for a payment that owes nothing more (paid or cancelled): its pending reminders
        stop and the links wanted for it are dropped, with it (one statement in SQL)."""
        ...

    async def order_has_any(self, order_id: UUID) -> bool: ...

    async def next_number(self, order_id: UUID) -> int:
        """The number the order's next payment takes (1 for its first)."""
        ...

    async def of_order(self, order_id: UUID, *, for_update: bool = False) -> list[Payment]:
        """The order's payments by their number."""
        ...

    async def by_provider_reference(self, *, provider: str, reference: str, account_id: UUID,
                                    for_update: bool = False) -> Payment | None: ...

    async def unpaid_planned(self, account_id: UUID) -> list[Payment]:
        """The school's unpaid payments that have a planned date."""
        ...

    async def lock_overdue(self, *, limit: int) -> list[Payment]:
        """Unpaid payments past their planned date not yet announced, locked for this transaction
        (other workers skip them)."""
        ...


class ProviderEvents(Protocol):
    async def lock_and_record(
        self, *, provider: str, event_id: str, kind: str, payload: dict[str, Any], payment_id: UUID | None = None,
        reference: str | None = None, account_id: UUID | None = None,
    ) -> tuple[Payment, bool] | None:
        """The provider's payment a report names, by our id (or else by the provider's reference,
        with the school; the school's only when `account_id` is given), locked until commit, and
        what the provider told us kept with it: True if this event is new, False if it was
        recorded before. None, and nothing kept, when there is no such payment. One statement in
        SQL, the lock first: a report racing another for the same payment sees it as that one left it."""
        ...


class OrderStates(Protocol):
    """The orders as the orders service described them."""

    async def add_unless_planned(self, order: OrderCreated) -> OrderState | None:
        """Keep the order (the first picture of it wins) and return what is kept; None, and nothing
        kept, when the order has payments already (one statement in SQL)."""
        ...

    async def get(self, order_id: UUID, *, account_id: UUID | None = None,
                  for_update: bool = False) -> OrderState | None: ...

    async def update(self, event: OrderUpdated) -> bool:
        """Keep the newer picture of the school's order; False (nothing changed) when the order is
        unknown, another school's, or already kept at this version or a later one."""
        ...

    async def id_of(self, account_id: UUID, ref: UUID | int) -> UUID | None:
        """The school's order named by its id or its number."""
        ...


class LinkRequests(Protocol):
    """The links wanted from providers and not yet issued (the worker asks for them)."""

    async def want(self, payment: Payment, *, purpose: str, send_email: bool, correlation_id: UUID,
                   causation_id: UUID | None) -> None:
        """A link is wanted for the payment's current generation; a request already waiting keeps any
        wish to email it, and every waiting request of the payment is for the newest link."""
        ...

    async def lease(self, *, limit: int, lease_seconds: float) -> list[LinkRequest]:
        """Due requests, leased to this worker: another skips them until the lease ends."""
        ...

    async def pending(self, payment_id: UUID) -> list[LinkRequest]:
        """The payment's waiting requests, locked."""
        ...

    async def drop(self, payment_id: UUID) -> None: ...

    async def postpone(self, request: LinkRequest, *, delay_seconds: float, error: str) -> None:
        """Try again later; the payment shows the error while its link is of that generation."""
        ...

    async def move(self, payment_id: UUID, *, from_generation: int, to_generation: int) -> None: ...

    async def wake(self, account_id: UUID, provider: str) -> int:
        """Requests put off by this school's provider are due now; returns how many."""
        ...


class Credentials(Protocol):
    """The schools' provider settings, sealed where they are stored."""

    async def put(self, account_id: UUID, provider: str, settings: dict[str, Any]) -> None: ...

    async def get(self, account_id: UUID, provider: str, *, for_update: bool = False) -> dict[str, Any] | None:
        """The settings as stored, opened; `for_update` holds them until the transaction ends."""
        ...

    async def configured(self, account_id: UUID) -> list[str]:
        """The providers the school has settings for, by name."""
        ...

    async def schools(self) -> dict[UUID, list[str]]:
        """Every school with settings, and its providers by name."""
        ...


class Reminders(Protocol):
    async def offsets(self, account_id: UUID) -> list[int] | None:
        """The school's schedule, in hours around the planned date; None if it set none."""
        ...

    async def put_offsets(self, account_id: UUID, offsets: list[int]) -> None: ...

    async def add(self, payment: Payment, planned_at: datetime, times: list[tuple[int, datetime]]) -> None:
        """Pending reminders (offset, moment) for the planned date; a stopped one comes back, a sent one never."""
        ...

    async def stop(self, payment_ids: Sequence[UUID]) -> None:
        """The payments' pending reminders stop."""
        ...

    async def lock_due(self, *, limit: int) -> list[DueReminder]:
        """Due reminders, locked until this transaction ends; other workers skip them."""
        ...

    async def finish(self, due: DueReminder, status: str) -> None: ...


class Idempotency(Protocol):
    async def made_before(self, scope: str, request: Idempotent | None) -> UUID | None:
        """What an earlier request under this key made (servicekit.idempotency)."""
        ...

    async def remember(self, scope: str, request: Idempotent | None, resource_id: UUID) -> None: ...


class Outbox(Protocol):
    async def add(self, *events: Event) -> None:
        """Events published once the transaction commits."""
        ...


class UnitOfWork(Protocol):
    payments: Payments
    provider_events: ProviderEvents
    orders: OrderStates
    link_requests: LinkRequests
    credentials: Credentials
    reminders: Reminders
    idempotency: Idempotency
    outbox: Outbox

    async def record_if_new(self, consumer: str, event_id: UUID) -> bool:
        """The inbox: record a consumed event; False if this consumer applied it already."""
        ...


# `async with unit_of_work() as uow`: one transaction, committed when the block ends (rolled back
# on any error). The worker's use cases open several, one after the other.
UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
