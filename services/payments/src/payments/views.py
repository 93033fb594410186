"""Read side of the payments service: what the API and the sandbox page show."""

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from .adapters.tables import payments
from .domain.payment import quantized

_CARD = (
    payments.c.id, payments.c.order_id, payments.c.checkout_id, payments.c.number, payments.c.type,
    payments.c.status, payments.c.amount, payments.c.currency, payments.c.due_at, payments.c.method,
    payments.c.provider, payments.c.link_url, payments.c.link_expires_at, payments.c.provider_reference,
    payments.c.closes_access, payments.c.attempts, payments.c.last_failure, payments.c.paid_at,
    payments.c.comment, payments.c.link_error, payments.c.refunded_amount,
    payments.c.created_at, payments.c.updated_at,
)


def _payment_view(row: Any) -> dict[str, Any]:
    view = dict(row._mapping)
    view["amount"] = str(quantized(row.amount, row.currency))
    view["refunded_amount"] = str(quantized(row.refunded_amount, row.currency))
    return view


async def order_payments(conn: AsyncConnection, account_id: UUID, order_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(*_CARD)
        .where(payments.c.account_id == account_id, payments.c.order_id == order_id)
        .order_by(payments.c.number)
    )
    return [_payment_view(r) for r in rows]


async def payment(conn: AsyncConnection, account_id: UUID, payment_id: UUID) -> dict[str, Any] | None:
    row = (await conn.execute(
        select(*_CARD).where(payments.c.account_id == account_id, payments.c.id == payment_id)
    )).first()
    return _payment_view(row) if row else None


async def sandbox_payment(conn: AsyncConnection, payment_id: UUID, provider: str) -> dict[str, Any] | None:
    """What a public payment page may show: the amount to pay and whether it is still open."""
    row = (await conn.execute(
        select(payments.c.id, payments.c.amount, payments.c.currency, payments.c.status, payments.c.last_failure)
        .where(payments.c.id == payment_id, payments.c.provider == provider)
    )).first()
    if row is None:
        return None
    return {
        "id": row.id, "amount": str(quantized(row.amount, row.currency)), "currency": row.currency,
        "status": row.status, "last_failure": row.last_failure,
    }
