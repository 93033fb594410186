"""Use cases of the notifications service: one per message, plus the sender's bookkeeping.

Consumers only record what to send (rendered, in their transaction); the sender worker
talks to the mail server. So a redelivered event never sends twice, and a slow or broken
mail server never holds up a topic.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar
from uuid import UUID

from contracts import OrderCreated, PaymentLinkIssued, PaymentSucceeded, ReminderRequested
from servicekit.errors import NotYet, Rejected
from sqlalchemy.ext.asyncio import AsyncConnection

from .adapters import repository as repo
from .domain import letters
from .domain.delivery import Outgoing, RetryPolicy, after_failure
from .domain.letters import Letter, LetterRefused
from .domain.recipient import OrderRecipient
from .rendering import render

E = TypeVar("E", PaymentLinkIssued, PaymentSucceeded, ReminderRequested)


async def on_order_created(conn: AsyncConnection, event: OrderCreated) -> None:
    await repo.save_recipient(conn, OrderRecipient.from_event(event))


async def on_payment_link_issued(conn: AsyncConnection, event: PaymentLinkIssued) -> None:
    if not event.send_email:
        return  # before looking the order up: no email means nothing to wait for
    order = await _order_of(conn, event.order_id)
    await _record(conn, _compose(letters.payment_link, order, event))


async def on_payment_succeeded(conn: AsyncConnection, event: PaymentSucceeded) -> None:
    order = await _order_of(conn, event.order_id)
    await _record(conn, _compose(letters.receipt, order, event))


async def on_reminder_requested(conn: AsyncConnection, event: ReminderRequested) -> None:
    order = await _order_of(conn, event.order_id)
    await _record(conn, _compose(letters.reminder, order, event))


async def _order_of(conn: AsyncConnection, order_id: UUID) -> OrderRecipient:
    order = await repo.get_recipient(conn, order_id)
    if order is None:
        # Topics are not ordered with each other: OrderCreated may still be on its way.
        raise NotYet(f"order {order_id} is not known here yet")
    return order


def _compose(build: Callable[[OrderRecipient, E], Letter | None], order: OrderRecipient, event: E) -> Letter | None:
    try:
        return build(order, event)
    except LetterRefused as exc:
        raise Rejected(str(exc)) from exc


async def _record(conn: AsyncConnection, letter: Letter | None) -> None:
    if letter is None:
        return
    if await repo.add_delivery(conn, letter, render(letter)):
        await repo.wake_sender(conn)


async def claim_due(conn: AsyncConnection, limit: int, lease: timedelta) -> list[Outgoing]:
    return await repo.claim_due(conn, limit, lease)


async def record_sent(conn: AsyncConnection, delivery: Outgoing) -> None:
    await repo.mark_sent(conn, delivery.id)


async def record_failure(
    conn: AsyncConnection, delivery: Outgoing, error: str, *, permanent: bool, policy: RetryPolicy
) -> None:
    step = after_failure(delivery.attempts, permanent=permanent, policy=policy)
    await repo.mark_failed_try(conn, delivery, error=error, status=step.status, retry_in=step.retry_in)
