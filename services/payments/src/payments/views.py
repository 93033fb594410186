"""Read side of the payments service: what the API and the sandbox page show."""

from typing import Any
from uuid import UUID

from servicekit.db import single_statement
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from .adapters.tables import payments, provider_events
from .domain.payment import quantized

_CARD = (
    payments.c.id, payments.c.order_id, payments.c.checkout_id, payments.c.number, payments.c.type,
    payments.c.status, payments.c.amount, payments.c.currency, payments.c.due_at, payments.c.method,
    payments.c.provider, payments.c.link_url, payments.c.link_expires_at, payments.c.provider_reference,
    payments.c.closes_access, payments.c.attempts, payments.c.last_failure, payments.c.paid_at,
    payments.c.comment, payments.c.link_error, payments.c.refunded_amount, payments.c.marked_by,
    payments.c.parts, payments.c.created_at, payments.c.updated_at,
)

# The provider events that are tries to pay, and what each one came to.
_ATTEMPT_KINDS = {"payment.succeeded": "succeeded", "payment.declined": "declined"}


def _payment_view(row: Any, history: list[dict[str, Any]]) -> dict[str, Any]:
    view = dict(row._mapping)
    view["amount"] = str(quantized(row.amount, row.currency))
    view["refunded_amount"] = str(quantized(row.refunded_amount, row.currency))
    view["parts"] = row.parts or []
    view["attempt_history"] = history
    return view


async def _attempts(conn: AsyncConnection, payment_ids: list[UUID]) -> dict[UUID, list[dict[str, Any]]]:
    """Each payment's tries through its provider, oldest first, with the provider's reason for a refusal."""
    found: dict[UUID, list[dict[str, Any]]] = {p: [] for p in payment_ids}
    if not payment_ids:
        return found
    rows = await conn.execute(
        select(provider_events.c.payment_id, provider_events.c.provider, provider_events.c.kind,
               provider_events.c.received_at, provider_events.c.payload["reason"].astext.label("reason"))
        .where(provider_events.c.payment_id.in_(payment_ids), provider_events.c.kind.in_(list(_ATTEMPT_KINDS)))
        .order_by(provider_events.c.received_at, provider_events.c.id)
    )
    confirmed: set[UUID] = set()
    for r in rows:
        # A provider may confirm one payment more than once (a webhook and reconciliation), and
        # a decline may arrive after the money: neither is a try, so like the `attempts` count
        # the history ends with the first confirmation.
        if r.payment_id in confirmed:
            continue
        if r.kind == "payment.succeeded":
            confirmed.add(r.payment_id)
        found[r.payment_id].append({
            "at": r.received_at, "provider": r.provider, "outcome": _ATTEMPT_KINDS[r.kind],
            "reason": r.reason if r.kind == "payment.declined" else None,
        })
    return found


async def order_payments(conn: AsyncConnection, account_id: UUID, order_id: UUID) -> list[dict[str, Any]]:
    rows = (await conn.execute(
        select(*_CARD)
        .where(payments.c.account_id == account_id, payments.c.order_id == order_id)
        .order_by(payments.c.number)
    )).all()
    history = await _attempts(conn, [r.id for r in rows])
    return [_payment_view(r, history[r.id]) for r in rows]


async def payment(conn: AsyncConnection, account_id: UUID, payment_id: UUID) -> dict[str, Any] | None:
    row = (await conn.execute(
        select(*_CARD).where(payments.c.account_id == account_id, payments.c.id == payment_id)
    )).first()
    if row is None:
        return None
    return _payment_view(row, (await _attempts(conn, [row.id]))[row.id])


async def sandbox_payment(conn: AsyncConnection, payment_id: UUID, provider: str) -> dict[str, Any] | None:
    """What a public payment page may show: the amount to pay and whether it is still open."""
    # Read on every visit and after every payment on the sandbox's page: one statement outside any
    # transaction, straight to asyncpg (servicekit.db.single_statement: one round trip, not three).
    row = await (await single_statement(conn)).fetchrow(_SANDBOX_PAYMENT, payment_id, provider)
    if row is None:
        return None
    return {
        "id": row["id"], "amount": str(quantized(row["amount"], row["currency"])), "currency": row["currency"],
        "status": row["status"], "last_failure": row["last_failure"],
    }


_SANDBOX_PAYMENT = "SELECT id, amount, currency, status, last_failure FROM payments WHERE id = $1 AND provider = $2"
