"""Scheduled reminders around planned dates, and overdue payments: run by the worker."""

from uuid import uuid4

from contracts import utcnow
from servicekit.outbox import add_to_outbox
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..adapters import repository as repo
from ..adapters.tables import outbox
from ..domain.payment import Payment, UnknownProvider
from ..domain.reminders import DEFAULT_OFFSETS_HOURS, normalized_offsets, reminder_times
from .links import Providers, request_link


async def offsets_of(conn: AsyncConnection, account_id) -> list[int]:
    stored = await repo.reminder_offsets(conn, account_id)
    return list(DEFAULT_OFFSETS_HOURS) if stored is None else list(stored)


async def plan_reminders(
    conn: AsyncConnection, payment: Payment, offsets: list[int] | None = None, *, new: bool = False
) -> None:
    """The reminders still ahead for the payment's planned date; earlier dates' pending ones stop
    (a `new` payment, created in this transaction, has none yet)."""
    if not new:
        await repo.stop_reminders(conn, [payment.id])
    if payment.due_at is None or not payment.takes_link:
        return
    if offsets is None:
        offsets = await offsets_of(conn, payment.account_id)
    await repo.add_reminders(conn, payment, payment.due_at, reminder_times(payment.due_at, offsets, now=utcnow()))


async def set_reminder_schedule(conn: AsyncConnection, account_id, offsets: list[int]) -> list[int]:
    """A school's new schedule applies at once to every unpaid planned payment."""
    offsets = normalized_offsets(offsets)
    await repo.put_reminder_offsets(conn, account_id, offsets)
    for payment in await repo.account_unpaid_planned(conn, account_id):
        await plan_reminders(conn, payment, offsets)
    return offsets


async def send_due_reminders(engine: AsyncEngine, providers: Providers, *, limit: int = 50) -> int:
    """Reminders whose moment came: each goes out once, with a fresh link if the old one expired."""
    async with engine.begin() as conn:
        due = await repo.lock_due_reminders(conn, limit=limit)
        for reminder in due:
            payment = await repo.get_payment(conn, reminder.payment_id, for_update=True)
            current = payment is not None and payment.takes_link and payment.due_at == reminder.planned_at
            if not current:
                await repo.finish_reminder(conn, reminder, "stopped")
                continue
            await repo.finish_reminder(conn, reminder, "sent")
            correlation_id = payment.correlation_id or uuid4()
            if payment.link_usable(utcnow()):
                await add_to_outbox(conn, outbox, payment.reminder(reason="scheduled", correlation_id=correlation_id))
                continue
            order = await repo.get_order_state(conn, payment.order_id)
            if order is None:
                await repo.finish_reminder(conn, reminder, "stopped")
                continue
            try:
                await request_link(
                    conn, payment, order, providers, purpose="reminder_scheduled", send_email=False,
                    correlation_id=correlation_id,
                )
            except UnknownProvider:  # checked before anything is written; the reminder cannot be sent
                await repo.finish_reminder(conn, reminder, "stopped")
    return len(due)


async def mark_overdue(engine: AsyncEngine, *, limit: int = 100) -> int:
    """Unpaid payments past their planned date: PaymentOverdue once per planned date."""
    async with engine.begin() as conn:
        overdue = await repo.lock_overdue(conn, limit=limit)
        now = utcnow()
        for payment in overdue:
            payment.overdue_notified_at = now
            await repo.save_payment(conn, payment)
        await add_to_outbox(conn, outbox, *[
            p.overdue(correlation_id=p.correlation_id or uuid4()) for p in overdue
        ])
    return len(overdue)
