"""Read side of the notifications service: the delivery log the CRM shows."""

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from .adapters.tables import deliveries

_SUMMARY = (
    deliveries.c.id, deliveries.c.template, deliveries.c.recipient, deliveries.c.status, deliveries.c.attempts,
    deliveries.c.last_error, deliveries.c.subject, deliveries.c.created_at, deliveries.c.sent_at,
)


async def order_deliveries(conn: AsyncConnection, account_id: UUID, order_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(*_SUMMARY)
        .where(deliveries.c.account_id == account_id, deliveries.c.order_id == order_id)
        .order_by(deliveries.c.created_at, deliveries.c.id)
    )
    return [dict(r._mapping) for r in rows]


async def delivery(conn: AsyncConnection, account_id: UUID, delivery_id: UUID) -> dict[str, Any] | None:
    row = (await conn.execute(
        select(
            *_SUMMARY, deliveries.c.order_id, deliveries.c.locale, deliveries.c.next_attempt_at,
            deliveries.c.text_body, deliveries.c.html_body,
        ).where(deliveries.c.account_id == account_id, deliveries.c.id == delivery_id)
    )).first()
    if row is None:
        return None
    found = dict(row._mapping)
    # Only a pending delivery has a next try; for the others the column is history.
    if found["status"] != "pending":
        found["next_attempt_at"] = None
    return found
