"""One use case's transaction: the stores of service/unit_of_work.py over its PostgreSQL connection.

Each store calls the statements of repository.py as they are (the hot ones straight to asyncpg), so
a message costs the statements it did before the use cases ran on a unit of work.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from contracts import OrderCreated
from servicekit.unit_of_work import SqlUnitOfWork as KitUnitOfWork
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.delivery import Outgoing, Rendered
from ..domain.letters import Letter, Override, Overrides
from ..domain.recipient import AccessState, OrderRecipient, PaymentLink, School
from . import repository as repo
from .tables import idempotent_requests, outbox


class _OnConnection:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn


class SqlRecipients(_OnConnection):
    async def add(self, order: OrderRecipient) -> None:
        await repo.save_recipient(self.conn, order)

    async def add_for_email(self, order: OrderRecipient, templates: Sequence[str]) -> tuple[School | None, Overrides]:
        return await repo.save_recipient_for_email(self.conn, order, templates)

    async def update(self, order_id: UUID, account_id: UUID, changes: dict[str, Any]) -> str | None:
        return await repo.update_recipient(self.conn, order_id, account_id, changes)

    async def get(self, order_id: UUID) -> OrderRecipient | None:
        return await repo.get_recipient(self.conn, order_id)

    async def for_email(
        self, order_id: UUID, templates: Sequence[str], *, hold: bool = False, link: PaymentLink | None = None
    ) -> tuple[OrderRecipient, Overrides] | None:
        return await repo.get_recipient_for_email(self.conn, order_id, templates, hold=hold, link=link)

    async def take_for_email(
        self, order_id: UUID, templates: Sequence[str], *, link: PaymentLink | None = None
    ) -> tuple[OrderRecipient, Overrides, OrderCreated | None] | None:
        return await repo.take_recipient_for_email(self.conn, order_id, templates, link=link)

    async def for_access_change(
        self, order_id: UUID, account_id: UUID, templates: Sequence[str], line_id: UUID, state: AccessState,
        *, overdue_payment_id: UUID | None = None,
    ) -> tuple[OrderRecipient, Overrides, AccessState | None, str | None] | None:
        return await repo.get_recipient_for_access_change(
            self.conn, order_id, account_id, templates, line_id, state, overdue_payment_id
        )


class SqlConfirmations(_OnConnection):
    async def hold(self, event: OrderCreated) -> None:
        await repo.hold_confirmation(self.conn, event)


class SqlSchools(_OnConnection):
    async def save(self, school: School, occurred_at: datetime) -> None:
        await repo.save_school(self.conn, school, occurred_at)


class SqlPaymentLinks(_OnConnection):
    async def save(self, link: PaymentLink) -> None:
        await repo.save_payment_link(self.conn, link)


class SqlWordings(_OnConnection):
    async def get(self, account_id: UUID, template: str, locale: str) -> Override | None:
        return await repo.get_override(self.conn, account_id, template, locale)

    async def put(self, account_id: UUID, template: str, locale: str, override: Override) -> None:
        await repo.put_override(self.conn, account_id, template, locale, override)

    async def delete(self, account_id: UUID, template: str, locale: str) -> bool:
        return await repo.delete_override(self.conn, account_id, template, locale)


class SqlDeliveries(_OnConnection):
    async def add(self, letter: Letter, rendered: Rendered, *, cancel_reason: str | None = None) -> UUID | None:
        return await repo.add_delivery(self.conn, letter, rendered, cancel_reason=cancel_reason)

    async def cancel_unsent(self, account_id: UUID, order_id: UUID, templates: tuple[str, ...], reason: str) -> int:
        return await repo.cancel_unsent(self.conn, account_id, order_id, templates, reason)

    async def get(self, account_id: UUID, delivery_id: UUID) -> Any | None:
        return await repo.get_delivery(self.conn, account_id, delivery_id)

    async def add_resend(self, original: Any, correlation_id: UUID) -> UUID:
        return await repo.add_resend(self.conn, original, correlation_id)

    async def claim_due(self, limit: int, lease: timedelta, *, retry_unconfirmed: bool = False) -> list[Outgoing]:
        return await repo.claim_due(self.conn, limit, lease, retry_unconfirmed=retry_unconfirmed)

    async def renew_leases(self, held: list[tuple[UUID, int]], lease: timedelta) -> int:
        return await repo.renew_leases(self.conn, held, lease)

    async def hand_over(self, tries: list[Outgoing], lease: timedelta) -> set[UUID]:
        return await repo.hand_over(self.conn, tries, lease)

    async def withdraw_handover(self, tries: list[Outgoing]) -> None:
        await repo.withdraw_handover(self.conn, tries)

    async def mark_sent(
        self, delivery: Outgoing, *, unconfirmed: str | None = None, cancelled_only: bool = False
    ) -> Any | None:
        return await repo.mark_sent(self.conn, delivery, unconfirmed=unconfirmed, cancelled_only=cancelled_only)

    async def mark_sent_many(self, tries: Sequence[Outgoing]) -> list[Any]:
        return await repo.mark_sent_many(self.conn, tries)

    async def settle_unconfirmed(self, limit: int, note: str, *, pending_too: bool) -> list[Any]:
        return await repo.settle_unconfirmed(self.conn, limit, note, pending_too=pending_too)

    async def settle_and_claim(
        self, limit: int, lease: timedelta, note: str, *, retry_unconfirmed: bool
    ) -> tuple[list[Any], list[Outgoing]]:
        return await repo.settle_and_claim(self.conn, limit, lease, note, retry_unconfirmed=retry_unconfirmed)

    async def mark_failed_try(
        self, delivery: Outgoing, *, error: str, status: str, retry_in: float | None, refused: bool = False
    ) -> Any | None:
        return await repo.mark_failed_try(self.conn, delivery, error=error, status=status, retry_in=retry_in,
                                          refused=refused)


class SqlUnitOfWork(KitUnitOfWork):
    """Notifications' unit of work: the kit's (the transaction, the inbox, Idempotency-Key
    records, the outbox) with the stores of what notifications keeps; the sender's steps open one
    each or join one already open."""

    idempotency_table = idempotent_requests
    outbox_table = outbox

    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn)
        self.recipients = SqlRecipients(conn)
        self.confirmations = SqlConfirmations(conn)
        self.schools = SqlSchools(conn)
        self.payment_links = SqlPaymentLinks(conn)
        self.wordings = SqlWordings(conn)
        self.deliveries = SqlDeliveries(conn)
