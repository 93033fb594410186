"""Read side of the notifications service: the delivery log the CRM shows, and the templates."""

from datetime import datetime
from typing import Any
from uuid import UUID

from servicekit.pagination import BadCursor, decode_cursor, encode_cursor
from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from .adapters import repository as repo
from .adapters.tables import deliveries, order_recipients
from .domain.letters import SUPPORTED_LOCALES, TEMPLATES, TemplateName
from .rendering import render, sample_letters, template_variables

_SUMMARY = (
    deliveries.c.id, deliveries.c.template, deliveries.c.recipient, deliveries.c.status, deliveries.c.attempts,
    deliveries.c.last_error, deliveries.c.subject, deliveries.c.created_at, deliveries.c.sent_at,
    deliveries.c.order_id, deliveries.c.contact_id, deliveries.c.locale, deliveries.c.resend_of,
    deliveries.c.cancel_reason, deliveries.c.refused,
)


def _decode(cursor: str) -> tuple[datetime, UUID]:
    created_at, delivery_id = decode_cursor(cursor, 2)
    try:
        when = datetime.fromisoformat(created_at)
        if when.tzinfo is None:
            raise ValueError("a cursor's time has its zone")
        return when, UUID(delivery_id)
    except (ValueError, TypeError) as exc:
        raise BadCursor(str(exc)) from None


async def _page(
    conn: AsyncConnection, account_id: UUID, owner: ColumnElement[bool], limit: int, cursor: str | None
) -> dict[str, Any]:
    """Newest first, keyset-paged on (created_at, id): every page costs the same however deep."""
    query = select(*_SUMMARY).where(deliveries.c.account_id == account_id, owner)
    if cursor is not None:
        query = query.where(tuple_(deliveries.c.created_at, deliveries.c.id) < tuple_(*_decode(cursor)))
    rows = (await conn.execute(
        query.order_by(deliveries.c.created_at.desc(), deliveries.c.id.desc()).limit(limit + 1)
    )).all()
    items = [dict(r._mapping) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return {"items": items, "next_cursor": encode_cursor(last.created_at.isoformat(), str(last.id)) if last is not None else None}


async def order_id_of(conn: AsyncConnection, account_id: UUID, ref: UUID | int) -> UUID | None:
    """The id of the school's order named by its id or its number, if notifications has heard of it."""
    named = order_recipients.c.order_id == ref if isinstance(ref, UUID) else order_recipients.c.order_number == ref
    return (await conn.execute(
        select(order_recipients.c.order_id).where(order_recipients.c.account_id == account_id, named)
    )).scalar_one_or_none()


async def order_deliveries(
    conn: AsyncConnection, account_id: UUID, order_id: UUID, *, limit: int, cursor: str | None = None
) -> dict[str, Any]:
    """The order's emails, newest first; raises BadCursor."""
    return await _page(conn, account_id, deliveries.c.order_id == order_id, limit, cursor)


async def contact_deliveries(
    conn: AsyncConnection, account_id: UUID, contact_id: UUID, *, limit: int, cursor: str | None = None
) -> dict[str, Any]:
    """The contact's emails across their orders, newest first; raises BadCursor."""
    return await _page(conn, account_id, deliveries.c.contact_id == contact_id, limit, cursor)


async def delivery(conn: AsyncConnection, account_id: UUID, delivery_id: UUID) -> dict[str, Any] | None:
    row = (await conn.execute(
        select(*_SUMMARY, deliveries.c.next_attempt_at, deliveries.c.text_body, deliveries.c.html_body)
        .where(deliveries.c.account_id == account_id, deliveries.c.id == delivery_id)
    )).first()
    if row is None:
        return None
    found = dict(row._mapping)
    # Only a pending delivery has a next try; for the others the column is history.
    if found["status"] != "pending":
        found["next_attempt_at"] = None
    return found


async def templates(conn: AsyncConnection, account_id: UUID) -> dict[str, Any]:
    mine: dict[str, list[str]] = {}
    for row in await repo.overridden(conn, account_id):
        mine.setdefault(row.template, []).append(row.locale)
    return {
        "items": [
            {"template": name, "locales": list(SUPPORTED_LOCALES), "overridden": mine.get(name, []),
             "variables": template_variables(name)}
            for name in TEMPLATES
        ],
    }


async def template(conn: AsyncConnection, account_id: UUID, name: TemplateName, locale: str) -> dict[str, Any]:
    """The school's wording if it has one (else the standard), with a preview on a sample letter."""
    override = await repo.get_override(conn, account_id, name, locale)
    preview = render(sample_letters(name, locale)[0], override)
    return {
        "template": name,
        "locale": locale,
        "overridden": override is not None,
        "subject": override.subject if override else None,
        "html": override.html if override else None,
        "text": override.text if override else None,
        "preview": {"subject": preview.subject, "html": preview.html, "text": preview.text},
        "variables": template_variables(name),
    }
