"""What the clock changes: unpaid orders from offers expire, and access windows open or end."""

from datetime import datetime

from servicekit.http import current_correlation_id
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters import repository as repo
from .common import SYSTEM, Actor, announce_update, history, refresh_access


async def expire_unpaid(conn: AsyncConnection, *, now: datetime, default_days: int, limit: int) -> int:
    """Orders from offer pages and widgets still unpaid past the school's period: the same person's
    repeated visits leave such duplicates, and they should stop asking for money."""
    due = await repo.claim_unpaid_past_expiry(conn, now, default_days, limit)
    for row in due:
        actor = Actor(row.account_id, SYSTEM, current_correlation_id())
        await repo.bump_version(conn, row.id, status="expired", closed_at=now)
        await history(conn, actor, row.id, "expired", {"reason": "unpaid"})
        await announce_update(conn, actor, row.id, ["status"])
    return len(due)


async def advance_windows(conn: AsyncConnection, *, now: datetime, limit: int) -> int:
    """Windows that opened or ended by the clock since they were last announced."""
    due = await repo.lines_with_due_windows(conn, now, limit)
    for row in due:
        actor = Actor(row.account_id, SYSTEM, current_correlation_id())
        await refresh_access(conn, actor, row.id, None, now=now)
    return len(due)
