"""Read side of the orders service: the order card, lists and export, contacts, pipelines."""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from contracts import AccessTerms, quantize, utcnow
from servicekit.pagination import decode_cursor, encode_cursor
from sqlalchemy import Select, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from .adapters import repository as repo
from .adapters.tables import contacts, order_history, order_lines, orders, pipelines, schools, stages
from .domain.access import order_window
from .domain.catalog import granted
from .domain.order import amount_due

SORTS = {"created_at": orders.c.created_at, "number": orders.c.number, "total": orders.c.total}


@dataclass(frozen=True)
class OrderFilters:
    q: str | None = None
    pipeline_id: UUID | None = None
    stage_id: UUID | None = None
    payment_status: str | None = None
    type: str | None = None
    status: str | None = None
    source: str | None = None
    product_id: UUID | None = None
    offer_id: UUID | None = None
    manager: str | None = None
    tag: str | None = None
    contact_id: UUID | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    paid_from: datetime | None = None
    paid_to: datetime | None = None
    total_min: Decimal | None = None
    total_max: Decimal | None = None
    sort: str = "created_at"
    direction: str = "desc"


def _money(value: Any, currency: str) -> str:
    return format(quantize(value, currency), "f")


def _repeats_of() -> tuple[Any, Any]:
    """The same contact's other orders from the same offer: the first of them, and how many."""
    other = orders.alias("other")
    same = and_(other.c.account_id == orders.c.account_id, other.c.contact_id == orders.c.contact_id,
                other.c.offer_id == orders.c.offer_id, other.c.id != orders.c.id)
    first = (select(other.c.number).where(same, other.c.created_at < orders.c.created_at)
             .order_by(other.c.created_at, other.c.id).limit(1).scalar_subquery())
    count = select(func.count()).select_from(other).where(same).scalar_subquery()
    return first, count


def _summary(row: Any) -> dict[str, Any]:
    net = row.paid - row.refunded
    return {
        "id": row.id,
        "number": row.number,
        "created_at": row.created_at,
        "pipeline": {"id": row.pipeline_id, "name": row.pipeline_name},
        "stage": {"id": row.stage_id, "name": row.stage_name},
        "payment_status": row.payment_status,
        "status": row.status,
        "type": row.type,
        "source": row.source,
        "managers": list(row.managers),
        "tags": list(row.tags),
        "contact": {"id": row.contact_id, "name": row.contact_name, "email": row.contact_email,
                    "phone": row.contact_phone, "link": f"/api/v1/contacts/{row.contact_id}"},
        "currency": row.currency,
        "total": _money(row.total, row.currency),
        "paid": _money(net, row.currency),
        "due": _money(amount_due(row.total, row.paid, row.refunded), row.currency),
        "paid_at": row.paid_at,
        "offer_id": row.offer_id,
        "repeat_of": row.repeat_of,
        "repeats": row.repeats,
        "version": row.version,
    }


def _base_query() -> Select[Any]:
    repeat_of, repeats = _repeats_of()
    return (
        select(
            orders,
            pipelines.c.name.label("pipeline_name"),
            stages.c.name.label("stage_name"),
            contacts.c.name.label("contact_name"),
            contacts.c.email.label("contact_email"),
            contacts.c.phone.label("contact_phone"),
            contacts.c.locale.label("contact_locale"),
            repeat_of.label("repeat_of"),
            repeats.label("repeats"),
        )
        .join(pipelines, pipelines.c.id == orders.c.pipeline_id)
        .join(stages, stages.c.id == orders.c.stage_id)
        .join(contacts, contacts.c.id == orders.c.contact_id)
    )


async def order_id(conn: AsyncConnection, account_id: UUID, ref: UUID | int) -> UUID | None:
    where = orders.c.number == ref if isinstance(ref, int) else orders.c.id == ref
    return await conn.scalar(select(orders.c.id).where(orders.c.account_id == account_id, where))


async def order_card(conn: AsyncConnection, account_id: UUID, ref: UUID | int) -> dict[str, Any] | None:
    query = _base_query().where(orders.c.account_id == account_id)
    query = query.where(orders.c.number == ref) if isinstance(ref, int) else query.where(orders.c.id == ref)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    card = _summary(row)
    card["contact"]["locale"] = row.contact_locale
    now = utcnow()
    lines = await conn.execute(select(order_lines).where(order_lines.c.order_id == row.id).order_by(order_lines.c.position))
    lines = lines.all()
    catalog = await repo.catalog_products_of(conn, account_id, [line.product_id for line in lines])
    card["lines"] = []
    for line in lines:
        terms = AccessTerms.model_validate(line.access)
        window = order_window(terms, first_paid_at=row.first_paid_at, held=bool(row.access_holds),
                              order_status=row.status, payment_status=row.payment_status, now=now)
        card["lines"].append({
            "id": line.id, "product_id": line.product_id, "product_title": line.product_title,
            "offer": {"id": line.offer_id, "title": line.offer_title, "system_copy": line.customised}
            if line.offer_id else None,
            "customised": line.customised,
            "price": _money(line.price, row.currency),
            "access": terms.model_dump(mode="json"),
            # What the terms come to with the course's own defaults ("course" read from the catalog).
            "granted": granted(terms, catalog.get(line.product_id)),
            "window": {"status": window.status, "starts_at": window.starts_at, "ends_at": window.ends_at}
            if window else None,
        })
    card["subtotal"] = _money(row.subtotal, row.currency)
    card["discount"] = _money(row.discount, row.currency)
    # As the manager gave it ("12.5", not "12.5000"); null when the discount is an amount.
    card["discount_percent"] = None if row.discount_percent is None else format(row.discount_percent.normalize(), "f")
    card["refunded"] = _money(row.refunded, row.currency)
    card["comment"] = row.comment
    card["first_paid_at"] = row.first_paid_at
    card["updated_at"] = row.updated_at
    card["access_suspended"] = bool(row.access_holds)
    # The overdue payment that holds access closed (the first of them), as the contact is told.
    card["overdue_payment"] = None
    if row.access_holds:
        said = (row.overdue_holds or {}).get(str(row.access_holds[0])) or {}
        card["overdue_payment"] = {"payment_id": row.access_holds[0], "amount": said.get("amount"),
                                   "currency": said.get("currency"), "due_at": said.get("due_at")}
    card["repeat_orders"] = await _repeat_orders(conn, row)
    card["history"] = await history(conn, account_id, row.id)
    return card


async def _repeat_orders(conn: AsyncConnection, row: Any) -> list[dict[str, Any]]:
    if row.offer_id is None:
        return []
    found = await conn.execute(
        select(orders.c.id, orders.c.number, orders.c.created_at, orders.c.status, orders.c.payment_status)
        .where(orders.c.account_id == row.account_id, orders.c.contact_id == row.contact_id,
               orders.c.offer_id == row.offer_id, orders.c.id != row.id)
        .order_by(orders.c.created_at).limit(50)
    )
    return [dict(r._mapping) for r in found]


async def history(conn: AsyncConnection, account_id: UUID, order_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(order_history.c.at, order_history.c.actor, order_history.c.kind, order_history.c.details)
        .where(order_history.c.order_id == order_id, order_history.c.account_id == account_id)
        .order_by(order_history.c.id)
    )
    return [dict(r._mapping) for r in rows]


# --- lists ----------------------------------------------------------------------------------

def _sort_value(sort: str, raw: Any) -> Any:
    if sort == "created_at":
        return datetime.fromisoformat(raw)
    if sort == "number":
        return int(raw)
    return Decimal(raw)


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _search(account_id: UUID, q: str) -> Any:
    """Number, or a piece of the contact's name, email or phone (trigram indexes on contacts)."""
    term = q.strip()
    matching = [contacts.c.name.ilike(_like(term)), contacts.c.email_key.like(_like(term.lower()))]
    digits = re.sub(r"\D", "", term)
    if len(digits) >= 3 and re.fullmatch(r"[\d\s()+.-]+", term):
        matching.append(contacts.c.phone.like(_like(digits)))
    conditions = [orders.c.contact_id.in_(select(contacts.c.id).where(contacts.c.account_id == account_id,
                                                                        or_(*matching)))]
    number = term.removeprefix("#")
    if number.isdigit() and len(number) < 10:
        conditions.append(orders.c.number == int(number))
    return or_(*conditions)


def _filtered(account_id: UUID, f: OrderFilters) -> Select[Any]:
    query = _base_query().where(orders.c.account_id == account_id)
    for name in ("pipeline_id", "stage_id", "payment_status", "type", "status", "source", "contact_id", ):
        value = getattr(f, name)
        if value is not None:
            query = query.where(orders.c[name] == value)
    if f.product_id is not None:
        query = query.where(orders.c.id.in_(select(order_lines.c.order_id).where(order_lines.c.product_id == f.product_id)))
    if f.offer_id is not None:
        query = query.where(or_(orders.c.offer_id == f.offer_id, orders.c.id.in_(
            select(order_lines.c.order_id).where(order_lines.c.offer_id == f.offer_id))))
    if f.manager:
        query = query.where(orders.c.managers.contains([f.manager]))
    if f.tag:
        query = query.where(orders.c.tags.contains([f.tag]))
    if f.created_from is not None:
        query = query.where(orders.c.created_at >= f.created_from)
    if f.created_to is not None:
        query = query.where(orders.c.created_at < f.created_to)
    if f.paid_from is not None:
        query = query.where(orders.c.paid_at >= f.paid_from)
    if f.paid_to is not None:
        query = query.where(orders.c.paid_at < f.paid_to)
    if f.total_min is not None:
        query = query.where(orders.c.total >= f.total_min)
    if f.total_max is not None:
        query = query.where(orders.c.total <= f.total_max)
    if f.q:
        query = query.where(_search(account_id, f.q))
    column = SORTS[f.sort]
    if f.direction == "asc":
        return query.order_by(column.asc(), orders.c.id.asc())
    return query.order_by(column.desc(), orders.c.id.desc())


def check_cursor(cursor: str, f: OrderFilters) -> tuple[Any, UUID]:
    """Raises ValueError for a cursor this API did not give out for this sort."""
    sort, direction, value, order_id = decode_cursor(cursor, 4)
    if (sort, direction) != (f.sort, f.direction):
        raise ValueError("the cursor belongs to another sort")
    return _sort_value(sort, value), UUID(order_id)


async def order_list(
    conn: AsyncConnection, account_id: UUID, f: OrderFilters, *, limit: int, cursor: str | None = None
) -> dict[str, Any]:
    """Keyset-paginated on (sort column, id): every page costs the same however deep."""
    query = _filtered(account_id, f)
    if cursor is not None:
        value, order_id = check_cursor(cursor, f)
        key = tuple_(SORTS[f.sort], orders.c.id)
        query = query.where(key > tuple_(value, order_id) if f.direction == "asc" else key < tuple_(value, order_id))
    rows = (await conn.execute(query.limit(limit + 1))).all()
    items = [_summary(r) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        value = getattr(last, f.sort)
        next_cursor = encode_cursor(f.sort, f.direction, value.isoformat() if isinstance(value, datetime) else str(value),
                              str(last.id))
    return {"items": items, "next_cursor": next_cursor}


CSV_COLUMNS = ("number", "created_at", "status", "payment_status", "type", "source", "pipeline", "stage",
               "contact_name", "contact_email", "contact_phone", "currency", "total", "paid", "due", "paid_at",
               "managers", "tags", "repeat_of")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A cell a spreadsheet would run as a formula is kept as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def export_rows(conn: AsyncConnection, account_id: UUID, f: OrderFilters) -> AsyncIterator[list[str]]:
    """Every matching order, streamed from a server-side cursor."""
    result = await conn.stream(_filtered(account_id, f).execution_options(yield_per=500))
    async for row in result:
        s = _summary(row)
        yield [_cell(v) for v in (
            s["number"], s["created_at"].isoformat(), s["status"], s["payment_status"], s["type"], s["source"],
            row.pipeline_name, row.stage_name, row.contact_name, row.contact_email, row.contact_phone, s["currency"],
            s["total"], s["paid"], s["due"], s["paid_at"].isoformat() if s["paid_at"] else "",
            " ".join(s["managers"]), " ".join(s["tags"]), s["repeat_of"])]


# --- contacts -------------------------------------------------------------------------------

CONTACT_COLUMNS = (contacts.c.id, contacts.c.name, contacts.c.email, contacts.c.phone, contacts.c.locale,
                   contacts.c.created_at, contacts.c.updated_at)


async def contact(conn: AsyncConnection, account_id: UUID, contact_id: UUID) -> dict[str, Any] | None:
    row = (await conn.execute(
        select(*CONTACT_COLUMNS).where(contacts.c.account_id == account_id, contacts.c.id == contact_id)
    )).first()
    return dict(row._mapping) if row else None


async def contact_list(
    conn: AsyncConnection, account_id: UUID, *, q: str | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    query = select(*CONTACT_COLUMNS).where(contacts.c.account_id == account_id)
    if q and q.strip():
        term = q.strip()
        matching = [contacts.c.name.ilike(_like(term)), contacts.c.email_key.like(_like(term.lower()))]
        digits = re.sub(r"\D", "", term)
        if len(digits) >= 3:
            matching.append(contacts.c.phone.like(_like(digits)))
        query = query.where(or_(*matching))
    if cursor:
        name, contact_id = decode_cursor(cursor, 2)
        query = query.where(tuple_(contacts.c.name, contacts.c.id) > tuple_(name, UUID(contact_id)))
    rows = (await conn.execute(query.order_by(contacts.c.name, contacts.c.id).limit(limit + 1))).all()
    items = [dict(r._mapping) for r in rows[:limit]]
    more = len(rows) > limit
    return {"items": items, "next_cursor": encode_cursor(rows[limit - 1].name, str(rows[limit - 1].id)) if more else None}


# --- pipelines and settings ------------------------------------------------------------------

def _pipeline(p: Any, stage_rows: Any) -> dict[str, Any]:
    return {
        "id": p.id, "name": p.name, "is_default": p.is_default,
        "stages": [{"id": s.id, "name": s.name, "position": s.position, "on_full_payment": s.on_full_payment,
                    "on_cancel": s.on_cancel} for s in stage_rows],
    }


async def pipeline_list(conn: AsyncConnection, account_id: UUID) -> list[dict[str, Any]]:
    result = []
    for p in await conn.execute(
        # The default first: a school's first pipeline is made in the same transaction as the one asked
        # for, so creation times can tie.
        select(pipelines).where(pipelines.c.account_id == account_id)
        .order_by(pipelines.c.is_default.desc(), pipelines.c.created_at, pipelines.c.id)
    ):
        stage_rows = await conn.execute(select(stages).where(stages.c.pipeline_id == p.id).order_by(stages.c.position))
        result.append(_pipeline(p, stage_rows))
    return result


async def pipeline(conn: AsyncConnection, account_id: UUID, pipeline_id: UUID) -> dict[str, Any] | None:
    p = (await conn.execute(
        select(pipelines).where(pipelines.c.account_id == account_id, pipelines.c.id == pipeline_id)
    )).first()
    if p is None:
        return None
    stage_rows = await conn.execute(select(stages).where(stages.c.pipeline_id == p.id).order_by(stages.c.position))
    return _pipeline(p, stage_rows)


async def school_settings(conn: AsyncConnection, account_id: UUID, default_days: int) -> dict[str, Any]:
    row = (await conn.execute(select(schools.c.unpaid_expiry_days, schools.c.phone_region)
                              .where(schools.c.account_id == account_id))).first()
    return {"unpaid_expiry_days": (row.unpaid_expiry_days if row else None) or default_days,
            "phone_region": row.phone_region if row else None}
