"""What the clock changes: unpaid orders from offers expire, and access windows open or end."""

from datetime import datetime

from servicekit.http import current_correlation_id

from ..domain.actor import SYSTEM, Actor
from .unit_of_work import UnitOfWork


async def expire_unpaid(uow: UnitOfWork, *, now: datetime, default_days: int, limit: int) -> int:
    """Orders from offer pages and widgets still unpaid past the school's period: the same person's
    repeated visits leave such duplicates, and they should stop asking for money."""
    due = await uow.orders.unpaid_past_expiry(now, default_days, limit)
    for order_id, account_id in due:
        order = await uow.orders.load(account_id, order_id)
        assert order is not None  # locked by the query that found it
        events = order.expire(Actor(account_id, SYSTEM, current_correlation_id()), now)
        await uow.orders.save(order)
        await uow.outbox.add(*events)
    return len(due)


async def advance_windows(uow: UnitOfWork, *, now: datetime, limit: int) -> int:
    """Windows that opened or ended by the clock since they were last announced."""
    due = await uow.orders.with_due_windows(now, limit)
    for order_id, account_id in due:
        order = await uow.orders.load(account_id, order_id)
        assert order is not None  # locked by the query that found it
        events = order.refresh_access(Actor(account_id, SYSTEM, current_correlation_id()), None, now)
        await uow.orders.save(order)
        await uow.outbox.add(*events)
    return len(due)
