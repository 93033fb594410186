"""The order aggregate in and out of its tables: loaded whole, saved as what changed."""

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from contracts import AccessTerms
from pydantic_core import to_jsonable_python
from servicekit.db import driver_connection
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.access import AccessWindow
from ..domain.order import Contact, Line, Order, StaleVersion
from ..domain.pipeline import Intake, Pipeline, Stage, Visit
from . import repository as repo
from .tables import order_lines, orders

# The order, locked, with its contact, its pipeline's stages in their order with their marks (which
# of them the order's own rules move it to is the pipeline's rule: domain.pipeline.Pipeline.funnel),
# the payments it counted, and its lines, one row each (one row with no line when it has none): one
# prepared statement, straight to asyncpg (db.driver_connection), for every message about an order.
_SELECT = """
    SELECT o.id, o.account_id, o.number, o.currency, o.total, o.paid, o.stage_id, o.version, o.refunded,
           o.contact_id, c.name AS contact_name, c.email AS contact_email, c.phone AS contact_phone,
           c.locale AS contact_locale, o.pipeline_id, o.status, o.type, o.managers, o.tags, o.comment,
           o.subtotal, o.discount, o.discount_percent, o.payment_status, o.paid_at, o.first_paid_at,
           o.access_holds, o.overdue_holds, o.closed_at, o.reopened_at, o.source, o.checkout_id, o.offer_id,
           (SELECT json_agg(json_build_array(s.id, s.on_full_payment, s.on_cancel) ORDER BY s.position)
            FROM stages s WHERE s.pipeline_id = o.pipeline_id) AS stages,
           (SELECT array_agg(p.payment_id) FROM order_payments p WHERE p.order_id = o.id) AS counted,
           l.id AS line_id, l.position, l.product_id, l.product_title, l.offer_id AS line_offer_id, l.offer_title,
           l.price, l.access, l.customised, l.offer_version, l.window_status, l.window_starts_at,
           l.window_ends_at, l.window_hold
    FROM orders o
    JOIN contacts c ON c.id = o.contact_id
    LEFT JOIN order_lines l ON l.order_id = o.id
    WHERE o.id = $1 AND o.account_id = $2
    ORDER BY l.position
"""
_LOAD = _SELECT + " FOR UPDATE OF o"
_READ = _SELECT

_ROW = ("contact_id", "pipeline_id", "stage_id", "type", "status", "managers", "tags", "comment", "subtotal",
        "discount", "discount_percent", "total", "paid", "refunded", "payment_status", "paid_at", "first_paid_at",
        "access_holds", "overdue_holds", "closed_at", "reopened_at", "version")
_LINE = ("position", "product_id", "product_title", "offer_id", "offer_title", "price", "access", "customised",
         "offer_version", "window_status", "window_starts_at", "window_ends_at", "window_hold")

# What a message adds to an order: the payments it counted and its history entries, as arrays
# (`$1` the order; an empty array adds nothing), entries in their order; only `{guard}`.
_PAID = """
    paid AS (
        INSERT INTO order_payments (payment_id, order_id, amount, paid_at)
        SELECT p.payment_id, $1::uuid, p.amount, p.paid_at
        FROM unnest($3::uuid[], $4::numeric[], $5::timestamptz[]) AS p(payment_id, amount, paid_at)
        WHERE {guard}
    ),
    noted AS (
        INSERT INTO order_history (order_id, account_id, actor, kind, details)
        SELECT $1::uuid, $2::uuid, h.actor, h.kind, h.details::jsonb
        FROM unnest($6::text[], $7::text[], $8::text[]) WITH ORDINALITY AS h(actor, kind, details, n)
        WHERE {guard}
        ORDER BY h.n
    )
"""
# A loaded order's row as it is now, only at the version it was loaded at (`$9` false: the row did
# not change, nothing is written to it), with what `_PAID` adds and its lines that changed (`$33` to
# `$46`, as arrays; a line keeps its position for life, so these never collide on one), unless the
# row was refused; the version found (read only then), for the refusal.
_SAVE = """WITH
    updated AS (
        UPDATE orders SET
            contact_id = $10, pipeline_id = $11, stage_id = $12, type = $13, status = $14, managers = $15,
            tags = $16, comment = $17, subtotal = $18, discount = $19, discount_percent = $20, total = $21,
            paid = $22, refunded = $23, payment_status = $24, paid_at = $25, first_paid_at = $26,
            access_holds = $27, overdue_holds = $28::jsonb, closed_at = $29, reopened_at = $30, version = $31,
            updated_at = CASE WHEN version <> $31 THEN now() ELSE updated_at END
        WHERE $9::boolean AND id = $1 AND version = $32
        RETURNING 1
    ),""" + _PAID.format(guard="(NOT $9::boolean OR EXISTS (SELECT 1 FROM updated))") + """,
    relined AS (
        UPDATE order_lines SET position = l.position, product_id = l.product_id, product_title = l.product_title,
                               offer_id = l.offer_id, offer_title = l.offer_title, price = l.price,
                               access = l.access::jsonb, customised = l.customised, offer_version = l.offer_version,
                               window_status = l.window_status, window_starts_at = l.window_starts_at,
                               window_ends_at = l.window_ends_at, window_hold = l.window_hold
        FROM unnest($33::uuid[], $34::int[], $35::uuid[], $36::text[], $37::uuid[], $38::text[], $39::numeric[],
                    $40::text[], $41::boolean[], $42::int[], $43::text[], $44::timestamptz[], $45::timestamptz[],
                    $46::uuid[])
             AS l(id, position, product_id, product_title, offer_id, offer_title, price, access, customised,
                  offer_version, window_status, window_starts_at, window_ends_at, window_hold)
        WHERE order_lines.id = l.id AND order_lines.order_id = $1
          AND (NOT $9::boolean OR EXISTS (SELECT 1 FROM updated))
    )
    SELECT (SELECT count(*) FROM updated) AS updated,
           (SELECT o.version FROM orders o WHERE $9::boolean AND o.id = $1 AND NOT EXISTS (SELECT 1 FROM updated))
           AS version
"""
# A new order's row ($1, $2, $9 to $35) and its lines ($36 to $49, as arrays), for `_ADD` and `_INTAKE`.
_ORDER_COLUMNS = """
    id, account_id, number, currency, source, checkout_id, offer_id, contact_id, pipeline_id, stage_id, type,
    status, managers, tags, comment, subtotal, discount, discount_percent, total, paid, refunded, payment_status,
    paid_at, first_paid_at, access_holds, overdue_holds, closed_at, reopened_at, version
"""
_ORDER_VALUES = """
    $1, $2, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28,
    $29, $30, $31, $32::jsonb, $33, $34, $35
"""
_LINES = """
    INSERT INTO order_lines (id, order_id, position, product_id, product_title, offer_id, offer_title, price,
                             access, customised, offer_version, window_status, window_starts_at, window_ends_at,
                             window_hold)
    SELECT l.id, $1::uuid, l.position, l.product_id, l.product_title, l.offer_id, l.offer_title, l.price,
           l.access::jsonb, l.customised, l.offer_version, l.window_status, l.window_starts_at, l.window_ends_at,
           l.window_hold
    FROM unnest($36::uuid[], $37::int[], $38::uuid[], $39::text[], $40::uuid[], $41::text[], $42::numeric[],
                $43::text[], $44::boolean[], $45::int[], $46::text[], $47::timestamptz[], $48::timestamptz[],
                $49::uuid[])
         AS l(id, position, product_id, product_title, offer_id, offer_title, price, access, customised,
              offer_version, window_status, window_starts_at, window_ends_at, window_hold)
"""
# A new order with its lines, payments and history, in one statement.
_ADD = ("WITH" + _PAID.format(guard="true") + ",\n    made AS (INSERT INTO orders (" + _ORDER_COLUMNS + ") VALUES ("
        + _ORDER_VALUES + "))" + _LINES)
# A visit's order as `_ADD` writes one, with its contact and what the school's profile lacks, in one
# statement. The contact ($14, `$50` to `$54`: name, email, its key, phone, locale) goes in new, or, when
# the school has it under that email (the contact the visit found, locked), it is given the phone and
# locale the visit left it (domain.order.filled_by_a_visit) and counts as updated. A new contact whose
# email another contact took meanwhile (a concurrent visit's, committed since) is not written, and then
# neither is anything else: the statement answers 0. The school's name and locale are `$55`, `$56`.
_INTAKE = """WITH
    contact AS (
        INSERT INTO contacts (id, account_id, name, email, email_key, phone, locale)
        VALUES ($14, $2, $50, $51, $52, $53, $54)
        ON CONFLICT (account_id, email_key) DO UPDATE
        SET phone = excluded.phone, locale = excluded.locale, updated_at = now()
        WHERE contacts.id = excluded.id
        RETURNING id
    ),
    school AS (
        INSERT INTO schools (account_id, name, locale) SELECT $2, $55, $56 FROM contact
        ON CONFLICT (account_id) DO UPDATE
        SET name = coalesce(schools.name, excluded.name), locale = coalesce(schools.locale, excluded.locale)
    ),""" + _PAID.format(guard="EXISTS (SELECT 1 FROM contact)") + """,
    made AS (INSERT INTO orders (""" + _ORDER_COLUMNS + ") SELECT " + _ORDER_VALUES + """ FROM contact),
    lined AS (""" + _LINES + """ WHERE EXISTS (SELECT 1 FROM contact))
    SELECT count(*) FROM contact
"""
_INSERT_LINE = """
    INSERT INTO order_lines (id, order_id, position, product_id, product_title, offer_id, offer_title, price,
                             access, customised, offer_version, window_status, window_starts_at, window_ends_at,
                             window_hold)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14, $15)
"""
_DELETE_LINE = "DELETE FROM order_lines WHERE id = $1"
# A history entry on the school's order, its row locked first so the history keeps the order its
# writers queued in; no row, nothing written, when the school has no such order.
_NOTE = """
    WITH known AS (SELECT id FROM orders WHERE id = $1 AND account_id = $2 FOR UPDATE)
    INSERT INTO order_history (order_id, account_id, actor, kind, details)
    SELECT known.id, $2, $3, $4, $5::jsonb FROM known
    RETURNING id
"""


def _json(value: Any) -> str:
    return json.dumps(to_jsonable_python(value))


def _line_columns(lines: dict[UUID, dict[str, Any]]) -> list[list[Any]]:
    """Lines as the arrays `_LINES` and `_SAVE` take: the ids, then each of `_LINE`."""
    return [list(lines)] + [[_json(v[k]) if k == "access" else v[k] for v in lines.values()] for k in _LINE]


def _line_args(line_id: UUID, values: dict[str, Any]) -> tuple[Any, ...]:
    return (line_id, *(_json(values[k]) if k == "access" else values[k] for k in _LINE))


def _additions(order: Order) -> tuple[Any, ...]:
    """`_PAID`'s arrays ($3 to $8): the payments the order counted and its entries since last saved."""
    received, entries = order.received, order.entries
    return ([p.payment_id for p in received], [p.amount for p in received], [p.paid_at for p in received],
            [e.actor for e in entries], [e.kind for e in entries], [_json(e.details) for e in entries])


def _row_args(values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(_json(values[k]) if k == "overdue_holds" else values[k] for k in _ROW)


def _row_values(order: Order) -> dict[str, Any]:
    assert order.contact is not None
    return {
        "contact_id": order.contact.id, "pipeline_id": order.pipeline_id, "stage_id": order.stage_id,
        "type": order.type, "status": order.state, "managers": list(order.managers), "tags": list(order.tags),
        "comment": order.comment, "subtotal": order.subtotal, "discount": order.discount,
        "discount_percent": order.discount_percent, "total": order.total, "paid": order.paid,
        "refunded": order.refunded, "payment_status": order.payment_status, "paid_at": order.paid_at,
        "first_paid_at": order.first_paid_at, "access_holds": list(order.holds),
        "overdue_holds": {str(k): v for k, v in order.holds.items()},
        "closed_at": order.closed_at, "reopened_at": order.reopened_at, "version": order.version,
    }


def _line_values(line: Line) -> dict[str, Any]:
    window = line.window
    return {
        "position": line.position, "product_id": line.product_id, "product_title": line.product_title,
        "offer_id": line.offer_id, "offer_title": line.offer_title, "price": line.price,
        "access": line.terms.model_dump(mode="json"), "customised": line.customised,
        "offer_version": line.offer_version, "window_status": window.status if window else None,
        "window_starts_at": window.starts_at if window else None, "window_ends_at": window.ends_at if window else None,
        "window_hold": line.window_hold,
    }


def _line(row: Any) -> Line:
    return Line(
        id=row["line_id"], product_id=row["product_id"], product_title=row["product_title"], price=row["price"],
        terms=AccessTerms.model_validate(row["access"]), offer_id=row["line_offer_id"],
        offer_title=row["offer_title"], customised=row["customised"], offer_version=row["offer_version"],
        position=row["position"],
        window=(AccessWindow(row["window_status"], row["window_starts_at"], row["window_ends_at"])
                if row["window_status"] else None),
        window_hold=row["window_hold"],
    )


def _order(r: Any, lines: list[Line]) -> Order:
    said = r["overdue_holds"] or {}
    return Order(
        id=r["id"], account_id=r["account_id"], number=r["number"], currency=r["currency"], total=r["total"],
        paid=r["paid"], stage_id=r["stage_id"], version=r["version"], counted_payments=set(r["counted"] or ()),
        refunded=r["refunded"],
        contact=Contact(r["contact_id"], r["contact_name"], r["contact_email"], r["contact_phone"],
                        r["contact_locale"]),
        funnel=Pipeline(r["pipeline_id"], tuple(Stage(UUID(stage), on_full_payment=paid, on_cancel=cancel)
                                                for stage, paid, cancel in r["stages"] or ())).funnel,
        state=r["status"], type=r["type"], managers=list(r["managers"]), tags=list(r["tags"]), comment=r["comment"],
        subtotal=r["subtotal"], discount=r["discount"], discount_percent=r["discount_percent"],
        payment_status=r["payment_status"], paid_at=r["paid_at"], first_paid_at=r["first_paid_at"],
        holds={hold: said.get(str(hold)) or {} for hold in r["access_holds"]},
        closed_at=r["closed_at"], reopened_at=r["reopened_at"], source=r["source"], checkout_id=r["checkout_id"],
        offer_id=r["offer_id"], lines=lines,
    )


class SqlOrders:
    """Orders of one transaction. `save` writes what changed since `load`, and only if the order is
    still at the version it was loaded at."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._loaded: dict[UUID, tuple[dict[str, Any], dict[UUID, dict[str, Any]]]] = {}

    async def load(self, account_id: UUID, order_id: UUID, *, for_update: bool = True) -> Order | None:
        rows = await (await driver_connection(self.conn)).fetch(_LOAD if for_update else _READ, order_id, account_id)
        if not rows:
            return None
        lines = [_line(row) for row in rows if row["line_id"] is not None]
        order = _order(rows[0], lines)
        self._loaded[order.id] = (_row_values(order), {line.id: _line_values(line) for line in lines})
        return order

    def _new_order_args(self, order: Order) -> tuple[tuple[Any, ...], dict[str, Any], dict[UUID, dict[str, Any]]]:
        """`_ADD`'s and `_INTAKE`'s first 49 arguments, and the row and lines as saved."""
        row = _row_values(order)
        lines = {line.id: _line_values(line) for line in order.lines}
        return ((order.id, order.account_id, *_additions(order), order.number, order.currency, order.source,
                 order.checkout_id, order.offer_id, *_row_args(row), *_line_columns(lines)), row, lines)

    def _added(self, order: Order, row: dict[str, Any], lines: dict[UUID, dict[str, Any]]) -> None:
        order.received.clear()
        order.entries.clear()
        self._loaded[order.id] = (row, lines)

    async def add(self, order: Order) -> None:
        """A new order, its lines, its payments and its history so far, in one statement."""
        args, row, lines = self._new_order_args(order)
        await (await driver_connection(self.conn)).execute(_ADD, *args)
        self._added(order, row, lines)

    async def visit(self, account_id: UUID, checkout_id: UUID, email: str) -> Visit:
        return await repo.visit(self.conn, account_id, checkout_id, email)

    async def intake(self, intake: Intake) -> bool:
        """A visit's order with its contact and the school's profile filled, in one statement."""
        order, contact = intake.order, intake.contact
        args, row, lines = self._new_order_args(order)
        written = await (await driver_connection(self.conn)).fetchval(
            _INTAKE, *args, contact.name, contact.email, contact.email.lower(), contact.phone, contact.locale,
            intake.school_name, intake.school_locale)
        if not written:
            return False
        self._added(order, row, lines)
        return True

    async def note(self, account_id: UUID, order_id: UUID, actor: str, kind: str, details: dict[str, Any]) -> bool:
        """A history entry on the school's order, its row locked; False, nothing written, if it has no such order."""
        return await (await driver_connection(self.conn)).fetchval(
            _NOTE, order_id, account_id, actor, kind, _json(details)) is not None

    async def next_number(self, account_id: UUID) -> int:
        return await repo.next_order_number(self.conn, account_id)

    async def lock(self, account_id: UUID, order_id: UUID) -> bool:
        """Whether the school has the order, its row locked until the transaction ends."""
        return (await self.conn.execute(
            select(orders.c.id).where(orders.c.id == order_id, orders.c.account_id == account_id).with_for_update()
        )).first() is not None

    # --- which orders a use case is about; each locked, oldest id first so writers queue alike ---

    async def following_offer(self, account_id: UUID, offer_id: UUID) -> list[UUID]:
        """Orders with a line that still follows this offer."""
        return list((await self.conn.scalars(
            select(orders.c.id)
            .where(orders.c.account_id == account_id,
                   orders.c.id.in_(select(order_lines.c.order_id).where(order_lines.c.offer_id == offer_id,
                                                                         ~order_lines.c.customised)))
            .order_by(orders.c.id)
            .with_for_update()
        )).all())

    async def active_of_contact(self, contact_id: UUID) -> list[UUID]:
        return await repo.active_orders_of_contact(self.conn, contact_id)

    async def unpaid_past_expiry(self, now: datetime, default_days: int, limit: int) -> list[tuple[UUID, UUID]]:
        """(order, school) of unpaid orders from offers past their school's period; rows another
        worker holds are skipped, so replicas share the work."""
        return [(row.id, row.account_id) for row in await repo.claim_unpaid_past_expiry(
            self.conn, now, default_days, limit)]

    async def with_due_windows(self, now: datetime, limit: int) -> list[tuple[UUID, UUID]]:
        """(order, school) of orders with a window that opened or ended by the clock since last announced."""
        return [(row.id, row.account_id) for row in await repo.lines_with_due_windows(self.conn, now, limit)]

    async def save(self, order: Order) -> None:
        """The row (if it changed, and only at the version loaded), the payments counted, the history
        entries and the lines edited in one statement; then the lines removed and the lines added, one
        statement each (a line added may take the position of one removed)."""
        row_before, lines_before = self._loaded[order.id]
        row_now = _row_values(order)
        changed = row_now != row_before
        lines_now = {line.id: _line_values(line) for line in order.lines}
        edited = {line_id: values for line_id, values in lines_now.items()
                  if line_id in lines_before and values != lines_before[line_id]}
        driver = await driver_connection(self.conn)
        if changed or order.received or order.entries or edited:
            found = await driver.fetchrow(_SAVE, order.id, order.account_id, *_additions(order), changed,
                                          *_row_args(row_now), row_before["version"], *_line_columns(edited))
            if changed and (found is None or found["updated"] == 0):
                raise StaleVersion(None if found is None else found["version"])
        if removed := lines_before.keys() - lines_now.keys():
            await driver.executemany(_DELETE_LINE, [(line_id,) for line_id in removed])
        if added := [(line_id, order.id, *_line_args(line_id, values)[1:]) for line_id, values in lines_now.items()
                     if line_id not in lines_before]:
            await driver.executemany(_INSERT_LINE, added)
        order.received.clear()
        order.entries.clear()
        self._loaded[order.id] = (row_now, lines_now)
