"""Scheduled reminders around planned dates, and overdue payments: run by the worker."""

from uuid import UUID, uuid4

from contracts import utcnow

from ..domain.payment import Payment, UnknownProvider
from ..domain.reminders import DEFAULT_OFFSETS_HOURS, normalized_offsets, reminder_times
from .links import Providers, request_link
from .unit_of_work import UnitOfWork, UnitOfWorkFactory


async def offsets_of(uow: UnitOfWork, account_id: UUID) -> list[int]:
    """The school's reminder schedule, or the default one."""
    stored = await uow.reminders.offsets(account_id)
    return list(DEFAULT_OFFSETS_HOURS) if stored is None else list(stored)


async def plan_reminders(
    uow: UnitOfWork, payment: Payment, offsets: list[int] | None = None, *, new: bool = False
) -> None:
    """The reminders still ahead for the payment's planned date; earlier dates' pending ones stop
    (a `new` payment, created in this transaction, has none yet)."""
    if not new:
        await uow.reminders.stop([payment.id])
    if payment.due_at is None or not payment.takes_link:
        return
    if offsets is None:
        offsets = await offsets_of(uow, payment.account_id)
    await uow.reminders.add(payment, payment.due_at, reminder_times(payment.due_at, offsets, now=utcnow()))


async def set_reminder_schedule(uow: UnitOfWork, account_id: UUID, offsets: list[int]) -> list[int]:
    """A school's new schedule applies at once to every unpaid planned payment."""
    offsets = normalized_offsets(offsets)
    await uow.reminders.put_offsets(account_id, offsets)
    for payment in await uow.payments.unpaid_planned(account_id):
        await plan_reminders(uow, payment, offsets)
    return offsets


async def send_due_reminders(unit_of_work: UnitOfWorkFactory, providers: Providers, *, limit: int = 50) -> int:
    """Reminders whose moment came: each goes out once, with a fresh link if the old one expired."""
    async with unit_of_work() as uow:
        due = await uow.reminders.lock_due(limit=limit)
        for reminder in due:
            payment = await uow.payments.get(reminder.payment_id, for_update=True)
            current = payment is not None and payment.takes_link and payment.due_at == reminder.planned_at
            if not current:
                await uow.reminders.finish(reminder, "stopped")
                continue
            await uow.reminders.finish(reminder, "sent")
            correlation_id = payment.correlation_id or uuid4()
            if payment.link_usable(utcnow()):
                await uow.outbox.add(payment.reminder(reason="scheduled", correlation_id=correlation_id))
                continue
            order = await uow.orders.get(payment.order_id)
            if order is None:
                await uow.reminders.finish(reminder, "stopped")
                continue
            try:
                await request_link(
                    uow, payment, order, providers, purpose="reminder_scheduled", send_email=False,
                    correlation_id=correlation_id,
                )
            except UnknownProvider:  # checked before anything is written; the reminder cannot be sent
                await uow.reminders.finish(reminder, "stopped")
    return len(due)


async def mark_overdue(unit_of_work: UnitOfWorkFactory, *, limit: int = 100) -> int:
    """Unpaid payments past their planned date: PaymentOverdue once per planned date."""
    async with unit_of_work() as uow:
        overdue = await uow.payments.lock_overdue(limit=limit)
        now = utcnow()
        for payment in overdue:
            payment.overdue_notified_at = now
            await uow.payments.save(payment)
        await uow.outbox.add(*[
            p.overdue(correlation_id=p.correlation_id or uuid4()) for p in overdue
        ])
    return len(overdue)
