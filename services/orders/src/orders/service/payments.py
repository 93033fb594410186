"""Facts from payments and notifications: money counted, access opened, suspended or revoked, history."""

from typing import Any
from uuid import UUID

from contracts import (
    NotificationFailed, NotificationSent, PaymentCancelled, PaymentFailed, PaymentLinkIssued, PaymentOverdue,
    PaymentRefunded, PaymentSucceeded,
)
from servicekit.errors import Rejected
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters import repository as repo
from ..domain.order import PaymentMismatch
from .common import SYSTEM, Actor, history, refresh_access


async def _order(conn: AsyncConnection, account_id: UUID, order_id: UUID) -> Any:
    row = await repo.lock_order(conn, account_id, order_id)
    if row is None:
        raise Rejected(f"no order {order_id} in account {account_id}")
    return row


async def on_payment_succeeded(conn: AsyncConnection, event: PaymentSucceeded) -> None:
    """Money arrived: count it once, recompute the payment status, move the stage on full payment,
    open access (or resume it, if this was the overdue payment holding it closed)."""
    loaded = await repo.load_for_payment(conn, event.order_id, event.account_id)
    if loaded is None:
        raise Rejected(f"no order {event.order_id} in account {event.account_id}")
    order, pipeline_id = loaded
    was_fully_paid = order.fully_paid
    try:
        counted = order.record_payment(event.payment_id, event.amount, event.currency)
    except PaymentMismatch as exc:
        raise Rejected(str(exc)) from None
    if not counted:
        return
    fully_paid = not was_fully_paid and order.fully_paid
    if fully_paid:
        order.stage_id = await repo.full_payment_stage(conn, pipeline_id) or order.stage_id
    await repo.save_payment(conn, order, event.payment_id, event.amount, event.paid_at, fully_paid=fully_paid)
    resumed = await repo.set_access_hold(conn, order.id, event.payment_id, held=False)
    await repo.add_history(conn, order.id, order.account_id, event.provider or SYSTEM, "payment_received", {
        "payment_id": str(event.payment_id), "amount": format(event.amount, "f"), "currency": event.currency,
        "method": event.method, "payment_status": order.status.value,
    })
    await refresh_access(conn, Actor.of(event), order.id, "resumed" if resumed else "paid")


async def on_payment_refunded(conn: AsyncConnection, event: PaymentRefunded) -> None:
    loaded = await repo.load_for_payment(conn, event.order_id, event.account_id)
    if loaded is None:
        raise Rejected(f"no order {event.order_id} in account {event.account_id}")
    order, _ = loaded
    try:
        order.record_refund(event.amount, event.currency)
    except PaymentMismatch as exc:
        raise Rejected(str(exc)) from None
    await repo.save_refund(conn, order)
    actor = Actor.of(event)
    await history(conn, actor, order.id, "payment_refunded", {
        "payment_id": event.payment_id, "amount": event.amount, "currency": event.currency,
        "payment_status": order.status.value})
    await refresh_access(conn, actor, order.id, "refunded")


async def on_payment_overdue(conn: AsyncConnection, event: PaymentOverdue) -> None:
    await _order(conn, event.account_id, event.order_id)
    actor = Actor.of(event)
    await history(conn, actor, event.order_id, "payment_overdue", {
        "payment_id": event.payment_id, "amount": event.amount, "due_at": event.due_at,
        "closes_access": event.closes_access})
    if event.closes_access and await repo.set_access_hold(conn, event.order_id, event.payment_id, held=True):
        await refresh_access(conn, actor, event.order_id, "overdue")


async def on_payment_cancelled(conn: AsyncConnection, event: PaymentCancelled) -> None:
    await _order(conn, event.account_id, event.order_id)
    actor = Actor.of(event)
    await history(conn, actor, event.order_id, "payment_cancelled", {
        "payment_id": event.payment_id, "amount": event.amount})
    if await repo.set_access_hold(conn, event.order_id, event.payment_id, held=False):
        await refresh_access(conn, actor, event.order_id, "resumed")


async def on_payment_failed(conn: AsyncConnection, event: PaymentFailed) -> None:
    await _order(conn, event.account_id, event.order_id)
    await history(conn, Actor.of(event, event.provider), event.order_id, "payment_failed", {
        "payment_id": event.payment_id, "amount": event.amount, "attempt": event.attempt, "reason": event.reason})


async def on_payment_link_issued(conn: AsyncConnection, event: PaymentLinkIssued) -> None:
    await _order(conn, event.account_id, event.order_id)
    await history(conn, Actor.of(event, event.provider), event.order_id, "payment_link_issued", {
        "payment_id": event.payment_id, "amount": event.amount, "url": event.url, "due_at": event.due_at})


async def on_notification_sent(conn: AsyncConnection, event: NotificationSent) -> None:
    if event.order_id is None:
        return
    await _order(conn, event.account_id, event.order_id)
    await history(conn, Actor.of(event), event.order_id, "email_sent", {
        "template": event.template, "recipient": event.recipient, "subject": event.subject,
        "attempts": event.attempts})


async def on_notification_failed(conn: AsyncConnection, event: NotificationFailed) -> None:
    if event.order_id is None:
        return
    await _order(conn, event.account_id, event.order_id)
    await history(conn, Actor.of(event), event.order_id, "email_failed", {
        "template": event.template, "recipient": event.recipient, "error": event.error,
        "attempts": event.attempts})
