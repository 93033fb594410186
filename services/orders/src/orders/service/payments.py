"""Facts from payments: money counted or given back, overdue payments holding access, and the
attempts and links the order's history shows."""

from typing import Any
from uuid import UUID

from contracts import (
    PaymentCancelled, PaymentFailed, PaymentLinkIssued, PaymentOverdue, PaymentRefunded, PaymentSucceeded, utcnow,
)
from servicekit.errors import Rejected

from ..domain.actor import Actor
from ..domain.order import Order, PaymentMismatch
from .unit_of_work import UnitOfWork


async def _order(uow: UnitOfWork, account_id: UUID, order_id: UUID) -> Order:
    order = await uow.orders.load(account_id, order_id)
    if order is None:
        raise Rejected(f"no order {order_id} in account {account_id}")
    return order


async def _note(uow: UnitOfWork, account_id: UUID, order_id: UUID, actor: str, kind: str,
                details: dict[str, Any]) -> None:
    """A history entry on an order that exists; its row is locked, so its history keeps the order its
    writers queued in."""
    if not await uow.orders.note(account_id, order_id, actor, kind, details):
        raise Rejected(f"no order {order_id} in account {account_id}")


async def count_payment(uow: UnitOfWork, event: PaymentSucceeded) -> None:
    order = await _order(uow, event.account_id, event.order_id)
    try:
        events = order.record_payment_succeeded(event, utcnow())
    except PaymentMismatch as exc:
        raise Rejected(str(exc)) from None
    await uow.orders.save(order)
    await uow.outbox.add(*events)


async def count_refund(uow: UnitOfWork, event: PaymentRefunded) -> None:
    order = await _order(uow, event.account_id, event.order_id)
    try:
        events = order.record_payment_refunded(event, utcnow())
    except PaymentMismatch as exc:
        raise Rejected(str(exc)) from None
    await uow.orders.save(order)
    await uow.outbox.add(*events)


async def hold_access_for_overdue(uow: UnitOfWork, event: PaymentOverdue) -> None:
    order = await _order(uow, event.account_id, event.order_id)
    events = order.record_payment_overdue(event, utcnow())
    await uow.orders.save(order)
    await uow.outbox.add(*events)


async def drop_cancelled_payment(uow: UnitOfWork, event: PaymentCancelled) -> None:
    order = await _order(uow, event.account_id, event.order_id)
    events = order.record_payment_cancelled(event, utcnow())
    await uow.orders.save(order)
    await uow.outbox.add(*events)


async def note_failed_payment(uow: UnitOfWork, event: PaymentFailed) -> None:
    await _note(uow, event.account_id, event.order_id, Actor.of(event, event.provider).user, "payment_failed", {
        "payment_id": event.payment_id, "amount": event.amount, "attempt": event.attempt, "reason": event.reason})


async def note_payment_link(uow: UnitOfWork, event: PaymentLinkIssued) -> None:
    await _note(uow, event.account_id, event.order_id, Actor.of(event, event.provider).user, "payment_link_issued", {
        "payment_id": event.payment_id, "amount": event.amount, "url": event.url, "due_at": event.due_at})
