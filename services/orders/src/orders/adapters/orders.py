"""The order aggregate in and out of its tables: loaded whole, saved as what changed."""

from datetime import datetime
from typing import Any
from uuid import UUID

from contracts import AccessTerms
from pydantic_core import to_jsonable_python
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.access import AccessWindow
from ..domain.order import Contact, Line, Order, StaleVersion
from ..domain.pipeline import Pipeline, Stage
from . import repository as repo
from .tables import contacts, order_history, order_lines, order_payments, orders, stages

# The order's pipeline's stages in their order, with their marks: which of them the order's own
# rules move it to is the pipeline's rule (domain.pipeline.Pipeline.funnel).
_STAGES = (
    select(func.json_agg(aggregate_order_by(
        func.json_build_array(stages.c.id, stages.c.on_full_payment, stages.c.on_cancel), stages.c.position)))
    .where(stages.c.pipeline_id == orders.c.pipeline_id)
    .scalar_subquery()
)
_LOAD = (
    select(
        orders,
        contacts.c.name.label("contact_name"), contacts.c.email.label("contact_email"),
        contacts.c.phone.label("contact_phone"), contacts.c.locale.label("contact_locale"),
        _STAGES.label("stages"),
        select(func.array_agg(order_payments.c.payment_id)).where(order_payments.c.order_id == orders.c.id)
        .scalar_subquery().label("counted"),
    )
    .select_from(orders.join(contacts, contacts.c.id == orders.c.contact_id))
)


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
        id=row.id, product_id=row.product_id, product_title=row.product_title, price=row.price,
        terms=AccessTerms.model_validate(row.access), offer_id=row.offer_id, offer_title=row.offer_title,
        customised=row.customised, offer_version=row.offer_version, position=row.position,
        window=AccessWindow(row.window_status, row.window_starts_at, row.window_ends_at) if row.window_status else None,
        window_hold=row.window_hold,
    )


def _order(row: Any, lines: list[Line]) -> Order:
    said = row.overdue_holds or {}
    return Order(
        id=row.id, account_id=row.account_id, number=row.number, currency=row.currency, total=row.total,
        paid=row.paid, stage_id=row.stage_id, version=row.version, counted_payments=set(row.counted or ()),
        refunded=row.refunded,
        contact=Contact(row.contact_id, row.contact_name, row.contact_email, row.contact_phone, row.contact_locale),
        funnel=Pipeline(row.pipeline_id, tuple(Stage(UUID(stage), on_full_payment=paid, on_cancel=cancel)
                                               for stage, paid, cancel in row.stages or ())).funnel,
        state=row.status, type=row.type, managers=list(row.managers), tags=list(row.tags), comment=row.comment,
        subtotal=row.subtotal, discount=row.discount, discount_percent=row.discount_percent,
        payment_status=row.payment_status, paid_at=row.paid_at, first_paid_at=row.first_paid_at,
        holds={hold: said.get(str(hold)) or {} for hold in row.access_holds},
        closed_at=row.closed_at, reopened_at=row.reopened_at, source=row.source, checkout_id=row.checkout_id,
        offer_id=row.offer_id, lines=lines,
    )


class SqlOrders:
    """Orders of one transaction. `save` writes what changed since `load`, and only if the order is
    still at the version it was loaded at."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._loaded: dict[UUID, tuple[dict[str, Any], dict[UUID, dict[str, Any]]]] = {}

    async def load(self, account_id: UUID, order_id: UUID, *, for_update: bool = True) -> Order | None:
        query = _LOAD.where(orders.c.id == order_id, orders.c.account_id == account_id)
        row = (await self.conn.execute(query.with_for_update(of=orders) if for_update else query)).first()
        if row is None:
            return None
        lines = [_line(line) for line in await self.conn.execute(
            select(order_lines).where(order_lines.c.order_id == order_id).order_by(order_lines.c.position))]
        order = _order(row, lines)
        self._loaded[order.id] = (_row_values(order), {line.id: _line_values(line) for line in lines})
        return order

    async def add(self, order: Order) -> None:
        """A new order, its lines and its history so far."""
        await self.conn.execute(insert(orders).values(
            id=order.id, account_id=order.account_id, number=order.number, currency=order.currency,
            source=order.source, checkout_id=order.checkout_id, offer_id=order.offer_id, **_row_values(order)))
        self._loaded[order.id] = (_row_values(order), {})
        await self.save(order)

    async def placement_for_checkout(self, account_id: UUID, checkout_id: UUID) -> tuple[UUID | None, Pipeline | None]:
        """The order already made for this checkout, if any, and the school's default pipeline."""
        return await repo.placement_for_checkout(self.conn, account_id, checkout_id)

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
        row_before, lines_before = self._loaded[order.id]
        row_now = _row_values(order)
        changed = {k: v for k, v in row_now.items() if v != row_before[k]}
        if changed:
            if changed.get("version", row_before["version"]) != row_before["version"]:
                changed["updated_at"] = text("now()")
            done = await self.conn.execute(
                update(orders).where(orders.c.id == order.id, orders.c.version == row_before["version"])
                .values(**changed))
            if done.rowcount == 0:
                raise StaleVersion(await self.conn.scalar(select(orders.c.version).where(orders.c.id == order.id)))
        lines_now = {line.id: _line_values(line) for line in order.lines}
        for line_id in lines_before.keys() - lines_now.keys():
            await self.conn.execute(delete(order_lines).where(order_lines.c.id == line_id))
        added = [{"id": line_id, "order_id": order.id, **values} for line_id, values in lines_now.items()
                 if line_id not in lines_before]
        if added:
            await self.conn.execute(insert(order_lines), added)
        for line_id, values in lines_now.items():
            if line_id in lines_before and values != lines_before[line_id]:
                await self.conn.execute(update(order_lines).where(order_lines.c.id == line_id).values(
                    **{k: v for k, v in values.items() if v != lines_before[line_id][k]}))
        if order.received:
            await self.conn.execute(insert(order_payments), [
                {"payment_id": p.payment_id, "order_id": order.id, "amount": p.amount, "paid_at": p.paid_at}
                for p in order.received])
        if order.entries:
            await self.conn.execute(insert(order_history), [
                {"order_id": order.id, "account_id": order.account_id, "actor": e.actor, "kind": e.kind,
                 "details": to_jsonable_python(e.details)} for e in order.entries])
        order.received.clear()
        order.entries.clear()
        self._loaded[order.id] = (row_now, lines_now)
