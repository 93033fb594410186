"""Read side of the orders service: the order card, lists, contacts, pipelines."""

import base64
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from contracts import quantize
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .adapters.tables import contacts, order_history, order_lines, orders, pipelines, stages


def _money(value: Any, currency: str) -> str:
    return format(quantize(value, currency), "f")


def _summary(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "created_at": row.created_at,
        "pipeline": {"id": row.pipeline_id, "name": row.pipeline_name},
        "stage": {"id": row.stage_id, "name": row.stage_name},
        "payment_status": row.payment_status,
        "type": row.type,
        "source": row.source,
        "contact": {"id": row.contact_id, "name": row.contact_name, "email": row.contact_email,
                    "phone": row.contact_phone},
        "currency": row.currency,
        "total": _money(row.total, row.currency),
        "paid": _money(row.paid, row.currency),
        "due": _money(max(row.total - row.paid, 0), row.currency),
        "version": row.version,
    }


def _base_query():  # type: ignore[no-untyped-def]
    return (
        select(
            orders,
            pipelines.c.name.label("pipeline_name"),
            stages.c.name.label("stage_name"),
            contacts.c.name.label("contact_name"),
            contacts.c.email.label("contact_email"),
            contacts.c.phone.label("contact_phone"),
            contacts.c.locale.label("contact_locale"),
        )
        .join(pipelines, pipelines.c.id == orders.c.pipeline_id)
        .join(stages, stages.c.id == orders.c.stage_id)
        .join(contacts, contacts.c.id == orders.c.contact_id)
    )


async def order_card(conn: AsyncConnection, account_id: UUID, ref: UUID | int) -> dict[str, Any] | None:
    query = _base_query().where(orders.c.account_id == account_id)
    query = query.where(orders.c.number == ref) if isinstance(ref, int) else query.where(orders.c.id == ref)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    card = _summary(row)
    card["contact"]["locale"] = row.contact_locale
    lines = await conn.execute(select(order_lines).where(order_lines.c.order_id == row.id).order_by(order_lines.c.position))
    card["lines"] = [
        {"id": line.id, "product_id": line.product_id, "product_title": line.product_title,
         "offer": {"id": line.offer_id, "title": line.offer_title} if line.offer_id else None,
         "price": _money(line.price, row.currency)}
        for line in lines
    ]
    card["subtotal"] = _money(row.subtotal, row.currency)
    card["discount"] = _money(row.discount, row.currency)
    card["paid_at"] = row.paid_at
    card["history"] = await history(conn, account_id, row.id)
    return card


async def history(conn: AsyncConnection, account_id: UUID, order_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(order_history.c.at, order_history.c.actor, order_history.c.kind, order_history.c.details)
        .where(order_history.c.order_id == order_id, order_history.c.account_id == account_id)
        .order_by(order_history.c.id)
    )
    return [dict(r._mapping) for r in rows]


def _encode_cursor(created_at: datetime, order_id: UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(order_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    created_at, order_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    return datetime.fromisoformat(created_at), UUID(order_id)


async def order_list(
    conn: AsyncConnection,
    account_id: UUID,
    *,
    limit: int,
    cursor: tuple[datetime, UUID] | None = None,
    q: str | None = None,
    payment_status: str | None = None,
    contact_id: UUID | None = None,
) -> dict[str, Any]:
    """Newest first, keyset-paginated on (created_at, id)."""
    query = _base_query().where(orders.c.account_id == account_id)
    if cursor is not None:
        created_at, order_id = cursor
        query = query.where(or_(orders.c.created_at < created_at,
                                and_(orders.c.created_at == created_at, orders.c.id < order_id)))
    if payment_status:
        query = query.where(orders.c.payment_status == payment_status)
    if contact_id:
        query = query.where(orders.c.contact_id == contact_id)
    if q:
        term = q.strip()
        conditions = [func.lower(contacts.c.email) == term.lower(), contacts.c.name.ilike(f"%{term}%"),
                      contacts.c.phone == term]
        if term.isdigit():
            conditions.append(orders.c.number == int(term))
        query = query.where(or_(*conditions))
    rows = (await conn.execute(query.order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(limit + 1))).all()
    items = [_summary(r) for r in rows[:limit]]
    more = len(rows) > limit
    return {"items": items, "next_cursor": _encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if more else None}


async def contact(conn: AsyncConnection, account_id: UUID, contact_id: UUID) -> dict[str, Any] | None:
    row = (await conn.execute(
        select(contacts.c.id, contacts.c.name, contacts.c.email, contacts.c.phone, contacts.c.locale, contacts.c.created_at)
        .where(contacts.c.account_id == account_id, contacts.c.id == contact_id)
    )).first()
    return dict(row._mapping) if row else None


async def pipeline_list(conn: AsyncConnection, account_id: UUID) -> list[dict[str, Any]]:
    result = []
    for p in await conn.execute(
        select(pipelines).where(pipelines.c.account_id == account_id).order_by(pipelines.c.created_at)
    ):
        stage_rows = await conn.execute(select(stages).where(stages.c.pipeline_id == p.id).order_by(stages.c.position))
        result.append({
            "id": p.id, "name": p.name, "is_default": p.is_default,
            "stages": [{"id": s.id, "name": s.name, "position": s.position, "on_full_payment": s.on_full_payment,
                        "on_cancel": s.on_cancel} for s in stage_rows],
        })
    return result
