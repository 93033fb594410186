"""One use case's transaction on PostgreSQL: the stores of service/unit_of_work.py over its connection.

Each store calls the statements of repository.py, the purchase's hot ones straight to asyncpg as
they are there.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from contracts import OrderCreated, OrderUpdated
from servicekit.unit_of_work import SqlUnitOfWork as KitUnitOfWork
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.payment import Payment
from ..domain.records import DueReminder, LinkRequest, OrderState
from . import repository as repo
from .sealing import Sealer
from .tables import idempotent_requests, outbox


class SqlPayments:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, payment_id: UUID, *, account_id: UUID | None = None,
                  for_update: bool = False) -> Payment | None:
        return await repo.get_payment(self.conn, payment_id, account_id=account_id, for_update=for_update)

    async def add(self, new: list[Payment]) -> None:
        await repo.add_payments(self.conn, new)

    async def save(self, payment: Payment) -> None:
        await repo.save_payment(self.conn, payment)

    async def save_settled(self, payment: Payment) -> None:
        await repo.save_settled_payment(self.conn, payment)

    async def order_has_any(self, order_id: UUID) -> bool:
        return await repo.order_has_payments(self.conn, order_id)

    async def next_number(self, order_id: UUID) -> int:
        return await repo.next_payment_number(self.conn, order_id)

    async def of_order(self, order_id: UUID, *, for_update: bool = False) -> list[Payment]:
        return await repo.order_payments(self.conn, order_id, for_update=for_update)

    async def by_provider_reference(self, *, provider: str, reference: str, account_id: UUID,
                                    for_update: bool = False) -> Payment | None:
        return await repo.payment_by_provider_reference(
            self.conn, provider=provider, reference=reference, account_id=account_id, for_update=for_update,
        )

    async def unpaid_planned(self, account_id: UUID) -> list[Payment]:
        return await repo.account_unpaid_planned(self.conn, account_id)

    async def lock_overdue(self, *, limit: int) -> list[Payment]:
        return await repo.lock_overdue(self.conn, limit=limit)


class SqlProviderEvents:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def lock_and_record(
        self, *, provider: str, event_id: str, kind: str, payload: dict[str, Any], payment_id: UUID | None = None,
        reference: str | None = None, account_id: UUID | None = None,
    ) -> tuple[Payment, bool] | None:
        return await repo.lock_and_record_provider_event(
            self.conn, provider=provider, event_id=event_id, kind=kind, payload=payload, payment_id=payment_id,
            reference=reference, account_id=account_id,
        )


class SqlOrderStates:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add_unless_planned(self, order: OrderCreated) -> OrderState | None:
        return await repo.add_order_state_unless_planned(self.conn, order)

    async def get(self, order_id: UUID, *, account_id: UUID | None = None,
                  for_update: bool = False) -> OrderState | None:
        return await repo.get_order_state(self.conn, order_id, account_id=account_id, for_update=for_update)

    async def update(self, event: OrderUpdated) -> bool:
        return await repo.update_order_state(self.conn, event)

    async def id_of(self, account_id: UUID, ref: UUID | int) -> UUID | None:
        return await repo.order_id_of(self.conn, account_id, ref)


class SqlLinkRequests:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def want(self, payment: Payment, *, purpose: str, send_email: bool, correlation_id: UUID,
                   causation_id: UUID | None) -> None:
        await repo.want_link(self.conn, payment, purpose=purpose, send_email=send_email,
                             correlation_id=correlation_id, causation_id=causation_id)

    async def lease(self, *, limit: int, lease_seconds: float) -> list[LinkRequest]:
        return await repo.lease_link_requests(self.conn, limit=limit, lease_seconds=lease_seconds)

    async def pending(self, payment_id: UUID) -> list[LinkRequest]:
        return await repo.pending_link_requests(self.conn, payment_id)

    async def drop(self, payment_id: UUID) -> None:
        await repo.drop_link_requests(self.conn, payment_id)

    async def postpone(self, request: LinkRequest, *, delay_seconds: float, error: str) -> None:
        await repo.postpone_link_request(self.conn, request, delay_seconds=delay_seconds, error=error)

    async def move(self, payment_id: UUID, *, from_generation: int, to_generation: int) -> None:
        await repo.move_link_requests(self.conn, payment_id, from_generation=from_generation,
                                      to_generation=to_generation)

    async def wake(self, account_id: UUID, provider: str) -> int:
        return await repo.wake_link_requests(self.conn, account_id, provider)


class SqlCredentials:
    """Sealed on the way in, opened on the way out, with the deployment's keys."""

    def __init__(self, conn: AsyncConnection, sealer: Sealer | None) -> None:
        self.conn = conn
        self._sealer = sealer

    @property
    def sealer(self) -> Sealer:
        if self._sealer is None:
            raise RuntimeError("this unit of work was made without the credentials' keys")
        return self._sealer

    async def put(self, account_id: UUID, provider: str, settings: dict[str, Any]) -> None:
        await repo.put_provider_settings(self.conn, self.sealer, account_id, provider, settings)

    async def get(self, account_id: UUID, provider: str, *, for_update: bool = False) -> dict[str, Any] | None:
        return await repo.provider_settings(self.conn, self.sealer, account_id, provider, for_update=for_update)

    async def configured(self, account_id: UUID) -> list[str]:
        return await repo.configured_providers(self.conn, account_id)

    async def schools(self) -> dict[UUID, list[str]]:
        return await repo.schools_with_providers(self.conn)


class SqlReminders:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def offsets(self, account_id: UUID) -> list[int] | None:
        return await repo.reminder_offsets(self.conn, account_id)

    async def put_offsets(self, account_id: UUID, offsets: list[int]) -> None:
        await repo.put_reminder_offsets(self.conn, account_id, offsets)

    async def add(self, payment: Payment, planned_at: datetime, times: list[tuple[int, datetime]]) -> None:
        await repo.add_reminders(self.conn, payment, planned_at, times)

    async def stop(self, payment_ids: Sequence[UUID]) -> None:
        await repo.stop_reminders(self.conn, payment_ids)

    async def lock_due(self, *, limit: int) -> list[DueReminder]:
        return await repo.lock_due_reminders(self.conn, limit=limit)

    async def finish(self, due: DueReminder, status: str) -> None:
        await repo.finish_reminder(self.conn, due, status)


class SqlUnitOfWork(KitUnitOfWork):
    """Payments' unit of work: the kit's (the transaction, the inbox, Idempotency-Key records, the
    outbox) with the stores of what payments keeps. The sealer opens and seals the schools'
    credentials; a unit of work made without it has no use for them."""

    idempotency_table = idempotent_requests
    outbox_table = outbox

    def __init__(self, conn: AsyncConnection, sealer: Sealer | None = None) -> None:
        super().__init__(conn)
        self.payments = SqlPayments(conn)
        self.provider_events = SqlProviderEvents(conn)
        self.orders = SqlOrderStates(conn)
        self.link_requests = SqlLinkRequests(conn)
        self.credentials = SqlCredentials(conn, sealer)
        self.reminders = SqlReminders(conn)
