"""SQL of the payments service."""

from typing import Any
from uuid import UUID

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.payment import Payment, quantized
from .tables import payments, provider_events

# What a use case may change on a payment; identity, order and amount are fixed once written.
_MUTABLE = (
    "status", "link_url", "link_expires_at", "provider_reference", "attempts", "last_failure", "paid_at",
)


async def order_has_payments(conn: AsyncConnection, order_id: UUID) -> bool:
    return bool(await conn.scalar(select(exists().where(payments.c.order_id == order_id))))


async def add_payments(conn: AsyncConnection, new: list[Payment]) -> None:
    if not new:
        return
    await conn.execute(
        insert(payments),
        [
            {
                "id": p.id, "account_id": p.account_id, "order_id": p.order_id, "checkout_id": p.checkout_id,
                "number": p.number, "type": p.type, "status": p.status, "amount": p.amount, "currency": p.currency,
                "due_at": p.due_at, "method": p.method, "provider": p.provider, "closes_access": p.closes_access,
                "correlation_id": p.correlation_id,
                **{name: getattr(p, name) for name in _MUTABLE},
            }
            for p in new
        ],
    )


async def get_payment(
    conn: AsyncConnection, payment_id: UUID, *, account_id: UUID | None = None, for_update: bool = False
) -> Payment | None:
    """One payment; `for_update` holds its row until commit, so concurrent confirmations queue up."""
    query = select(payments).where(payments.c.id == payment_id)
    if account_id is not None:
        query = query.where(payments.c.account_id == account_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _payment(row._mapping) if row else None


def _payment(row: Any) -> Payment:
    return Payment(
        id=row["id"], account_id=row["account_id"], order_id=row["order_id"], checkout_id=row["checkout_id"],
        number=row["number"], type=row["type"], status=row["status"],
        amount=quantized(row["amount"], row["currency"]), currency=row["currency"], due_at=row["due_at"],
        method=row["method"], provider=row["provider"], closes_access=row["closes_access"],
        link_url=row["link_url"], link_expires_at=row["link_expires_at"],
        provider_reference=row["provider_reference"], attempts=row["attempts"], last_failure=row["last_failure"],
        paid_at=row["paid_at"], correlation_id=row["correlation_id"],
    )


async def save_payment(conn: AsyncConnection, payment: Payment) -> None:
    await conn.execute(
        update(payments)
        .where(payments.c.id == payment.id)
        .values(updated_at=func.now(), **{name: getattr(payment, name) for name in _MUTABLE})
    )


async def record_provider_event(
    conn: AsyncConnection, *, provider: str, event_id: str, payment_id: UUID, kind: str, payload: dict[str, Any]
) -> bool:
    """Keep what the provider told us; False if this very event was already recorded."""
    stmt = (
        pg_insert(provider_events)
        .values(provider=provider, event_id=event_id, payment_id=payment_id, kind=kind, payload=payload)
        .on_conflict_do_nothing(index_elements=[provider_events.c.provider, provider_events.c.event_id])
        .returning(provider_events.c.id)
    )
    return (await conn.execute(stmt)).first() is not None
