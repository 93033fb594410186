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
from .common import SYSTEM, Actor, announce_update, history, refresh_access


async def _order(conn: AsyncConnection, account_id: UUID, order_id: UUID) -> Any:
    row = await repo.lock_order(conn, account_id, order_id)
    if row is None:
        raise Rejected(f"no order {order_id} in account {account_id}")
    return row


# The card's fields a payment fact can change besides `paid` (net of refunds) and `access_suspended`.
_MONEY_FIELDS = ("refunded", "payment_status", "stage_id", "paid_at")


async def _announce_if_changed(conn: AsyncConnection, actor: Actor, before: Any) -> None:
    """Payments and notifications keep the latest picture of the order: whatever a payment fact
    changed on the card makes a new version and an OrderUpdated naming the fields."""
    after = await repo.lock_order(conn, actor.account_id, before.id)
    assert after is not None
    changed = [field for field in _MONEY_FIELDS if getattr(after, field) != getattr(before, field)]
    if after.paid - after.refunded != before.paid - before.refunded:
        changed.append("paid")
    if bool(after.access_holds) != bool(before.access_holds):
        changed.append("access_suspended")
    if not changed:
        return
    if after.version == before.version:
        await repo.bump_version(conn, before.id)
    await announce_update(conn, actor, before.id, changed)


async def on_payment_succeeded(conn: AsyncConnection, event: PaymentSucceeded) -> None:
    """Money arrived: count it once, recompute the payment status, move the stage on full payment,
    open access (or resume it, if this was the overdue payment holding it closed)."""
    loaded = await repo.load_for_payment(conn, event.order_id, event.account_id)
    if loaded is None:
        raise Rejected(f"no order {event.order_id} in account {event.account_id}")
    order, before = loaded
    was_fully_paid = order.fully_paid
    try:
        counted = order.record_payment(event.payment_id, event.amount, event.currency)
    except PaymentMismatch as exc:
        raise Rejected(str(exc)) from None
    if not counted:
        return
    fully_paid = not was_fully_paid and order.fully_paid
    if fully_paid:
        # Only an active order moves on: a cancelled one stays where cancelling put it.
        if before.status == "active":
            order.stage_id = await repo.full_payment_stage(conn, before.pipeline_id) or order.stage_id
    await repo.save_payment(conn, order, event.payment_id, event.amount, event.paid_at, fully_paid=fully_paid)
    resumed = await repo.set_access_hold(conn, order.id, event.payment_id, held=False)
    details: dict[str, Any] = {
        "payment_id": str(event.payment_id), "amount": format(event.amount, "f"), "currency": event.currency,
        "method": event.method, "payment_status": order.status.value,
    }
    if event.marked_by:
        actor_name = event.marked_by
        details.update(marked_by=event.marked_by, summary=f"marked paid by {event.marked_by}")
    else:
        actor_name = event.provider or SYSTEM
        details["summary"] = f"paid through {event.provider}" if event.provider else "paid"
    if event.provider:
        details["provider"] = event.provider
    await repo.add_history(conn, order.id, order.account_id, actor_name, "payment_received", details)
    actor = Actor.of(event)
    await _announce_if_changed(conn, actor, before)
    await refresh_access(conn, actor, order.id, "resumed" if resumed else "paid")


async def on_payment_refunded(conn: AsyncConnection, event: PaymentRefunded) -> None:
    loaded = await repo.load_for_payment(conn, event.order_id, event.account_id)
    if loaded is None:
        raise Rejected(f"no order {event.order_id} in account {event.account_id}")
    order, before = loaded
    try:
        order.record_refund(event.amount, event.currency)
    except PaymentMismatch as exc:
        raise Rejected(str(exc)) from None
    await repo.save_refund(conn, order)
    actor = Actor.of(event)
    await history(conn, actor, order.id, "payment_refunded", {
        "payment_id": event.payment_id, "amount": event.amount, "currency": event.currency,
        "payment_status": order.status.value})
    await _announce_if_changed(conn, actor, before)
    await refresh_access(conn, actor, order.id, "refunded")


async def on_payment_overdue(conn: AsyncConnection, event: PaymentOverdue) -> None:
    before = await _order(conn, event.account_id, event.order_id)
    actor = Actor.of(event)
    await history(conn, actor, event.order_id, "payment_overdue", {
        "payment_id": event.payment_id, "amount": event.amount, "due_at": event.due_at,
        "closes_access": event.closes_access})
    said = {"amount": format(event.amount, "f"), "currency": event.currency, "due_at": event.due_at.isoformat()}
    if event.closes_access and await repo.set_access_hold(conn, event.order_id, event.payment_id, held=True,
                                                          details=said):
        await _announce_if_changed(conn, actor, before)
        await refresh_access(conn, actor, event.order_id, "overdue")


async def on_payment_cancelled(conn: AsyncConnection, event: PaymentCancelled) -> None:
    before = await _order(conn, event.account_id, event.order_id)
    actor = Actor.of(event)
    await history(conn, actor, event.order_id, "payment_cancelled", {
        "payment_id": event.payment_id, "amount": event.amount})
    if await repo.set_access_hold(conn, event.order_id, event.payment_id, held=False):
        await _announce_if_changed(conn, actor, before)
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
