"""Edits of an order from the CRM: each one versioned, recorded with who and when, and announced.

The card's edit runs on the order aggregate; the line edits still on the order's rows."""

from datetime import tzinfo
from typing import Any
from uuid import UUID, uuid4

from contracts import AccessTerms, OfferCopyLine, OfferCopyRequested, quantize, utcnow
from servicekit.outbox import add_to_outbox
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters import repository as repo
from ..adapters.tables import outbox
from ..commands import LineChanges, NewLine, OrderChanges
from ..domain.catalog import check_line
from ..domain.order import EDITABLE, InvalidOrder, becomes_fully_paid, check_amount, payment_status, priced
from ..domain.zones import terms_in_zone
from .common import (
    Actor, NotFound, Unchanged, announce_update, claim, discount_given, discount_kept, history, plain, refresh_access,
    school_zone,
)
from .placement import place
from .unit_of_work import UnitOfWork

COPY_SUFFIX = " (Copy system)"


async def edit_order(uow: UnitOfWork, actor: Actor, order_id: UUID, version: int, changes: OrderChanges) -> None:
    """Load the order, find what the request names (its contact, its place in the funnel), edit, save."""
    order = await uow.orders.load(actor.account_id, order_id)
    if order is None:
        raise NotFound(f"no order {order_id}")
    order.claim(version)  # a stale edit is told so before anything else is looked at
    given = {name: getattr(changes, name) for name in changes.model_fields_set & set(EDITABLE)}
    if given.get("discount") is not None:
        given["discount"] = discount_given(given["discount"])
    contact = None
    if given.get("contact_id") is not None and order.contact is not None and given["contact_id"] != order.contact.id:
        contact = await uow.contacts.get(actor.account_id, given["contact_id"])
    placement: tuple[UUID, UUID] | InvalidOrder | None = None
    if given.get("pipeline_id") is not None or given.get("stage_id") is not None:
        try:
            placement = await place(uow.pipelines, actor.account_id, given.get("pipeline_id") or order.pipeline_id,
                                    given.get("stage_id"))
        except InvalidOrder as exc:  # refused where the edit's rules reach it, after the fields before it
            placement = exc
    events = order.edit(actor, version, given, now=utcnow(), contact=contact, placement=placement)
    await uow.orders.save(order)
    await uow.outbox.add(*events)


async def _settle(conn: AsyncConnection, order: Any, total: Any, *, may_move: bool = True) -> dict[str, Any]:
    """What a new total changes besides itself: the payment status and, when it is the change that
    makes the order fully paid, what a payment would have changed (paid_at, the on_full_payment stage).
    Losing the full payment leaves the stage where it is."""
    status = payment_status(total, order.paid, order.refunded).value
    if status == order.payment_status:
        return {}
    values: dict[str, Any] = {"payment_status": status}
    if becomes_fully_paid(order.payment_status, status):
        values["paid_at"] = utcnow()
        if may_move and order.status == "active":
            stage = await repo.full_payment_stage(conn, order.pipeline_id)
            if stage is not None and stage != order.stage_id:
                values["stage_id"] = stage
    return values


async def add_line(
    conn: AsyncConnection, actor: Actor, order_id: UUID, version: int, command: NewLine, default_zone: tzinfo
) -> UUID:
    """Its dates typed without an offset are read in the school's zone, else `default_zone`."""
    order = await claim(conn, actor, order_id, version)
    terms = terms_in_zone(command.access, await school_zone(conn, actor.account_id, default_zone))
    catalog_title = check_line(
        await repo.catalog_product(conn, actor.account_id, command.product_id), command.product_id, terms)
    title = command.product_title or catalog_title
    check_amount("price", command.price, order.currency)
    lines = await repo.lines_of(conn, order_id)
    line_id = uuid4()
    await repo.add_line(conn, {
        "id": line_id, "order_id": order_id, "product_id": command.product_id, "product_title": title,
        "offer_id": command.offer_id, "offer_title": command.offer_title, "price": command.price,
        "access": terms.model_dump(mode="json"),
    })
    settled = await _reprice(conn, order, [*[line.price for line in lines], command.price])
    await history(conn, actor, order_id, "line_added", {
        "version": order.version, "line_id": line_id, "product_id": command.product_id,
        "product_title": title, "price": command.price, **_shown(order, settled)})
    await announce_update(conn, actor, order_id, ["lines", "total", *settled])
    await refresh_access(conn, actor, order_id, "terms_changed")
    return line_id


async def edit_line(
    conn: AsyncConnection, actor: Actor, order_id: UUID, line_id: UUID, version: int, changes: LineChanges,
    default_zone: tzinfo,
) -> None:
    """Its dates typed without an offset are read in the school's zone, else `default_zone`."""
    order = await claim(conn, actor, order_id, version)
    lines = await repo.lines_of(conn, order_id)
    line = next((line for line in lines if line.id == line_id), None)
    if line is None:
        raise InvalidOrder("line_id", f"no line {line_id} in this order")
    given = changes.model_fields_set - {"version"}
    new: dict[str, Any] = {}
    if "product_title" in given and changes.product_title and changes.product_title != line.product_title:
        new["product_title"] = changes.product_title
    if "price" in given:
        if changes.price is None:
            raise InvalidOrder("price", "give an amount")
        check_amount("price", changes.price, order.currency)
        if changes.price != line.price:
            new["price"] = changes.price
    if "access" in given:
        if changes.access is None:
            raise InvalidOrder("access", "give the access terms")
        typed = terms_in_zone(changes.access, await school_zone(conn, actor.account_id, default_zone))
        check_line(await repo.catalog_product(conn, actor.account_id, line.product_id), line.product_id, typed)
        terms = typed.model_dump(mode="json")
        if terms != AccessTerms.model_validate(line.access).model_dump(mode="json"):
            new["access"] = terms
    if not new:
        raise Unchanged()
    prices = [new.get("price", line.price) if other.id == line_id else other.price for other in lines]
    await repo.update_line(conn, line_id, **new)
    settled = await _reprice(conn, order, prices) if "price" in new else {}
    details: dict[str, Any] = {"version": order.version, "line_id": line_id, "changes": {
        k: {"before": plain(line.access if k == "access" else getattr(line, k)), "after": plain(v)}
        for k, v in new.items()}, **_shown(order, settled)}
    if (new.keys() & {"price", "access"}) and line.offer_id is not None and not line.customised:
        details["offer_copy"] = await _request_offer_copy(conn, actor, order, line.offer_id, line.offer_title)
    await history(conn, actor, order_id, "line_updated", details)
    await announce_update(conn, actor, order_id, ["lines", *(["total"] if "price" in new else []), *settled])
    if "access" in new:
        await refresh_access(conn, actor, order_id, "terms_changed")


async def remove_line(conn: AsyncConnection, actor: Actor, order_id: UUID, line_id: UUID, version: int) -> None:
    order = await claim(conn, actor, order_id, version)
    lines = await repo.lines_of(conn, order_id)
    line = next((line for line in lines if line.id == line_id), None)
    if line is None:
        raise InvalidOrder("line_id", f"no line {line_id} in this order")
    if len(lines) == 1:
        raise InvalidOrder("line_id", "an order keeps at least one line")
    await repo.delete_line(conn, line_id)
    settled = await _reprice(conn, order, [other.price for other in lines if other.id != line_id])
    await history(conn, actor, order_id, "line_removed", {
        "version": order.version, "line_id": line_id, "product_id": line.product_id,
        "product_title": line.product_title, "price": line.price, **_shown(order, settled)})
    await announce_update(conn, actor, order_id, ["lines", "total", *settled])


async def _reprice(conn: AsyncConnection, order: Any, prices: list[Any]) -> dict[str, Any]:
    """New totals from the lines' prices; what else that changed: a percent discount's amount,
    which follows the new subtotal, and what `_settle` says."""
    try:
        subtotal, off, total = priced(prices, discount_kept(order), order.currency)
    except InvalidOrder as exc:
        raise InvalidOrder("price", f"{exc.message}; lower the discount first") from None
    settled: dict[str, Any] = {"discount": off} if off != order.discount else {}
    settled.update(await _settle(conn, order, total))
    await repo.update_order(conn, order.id, subtotal=subtotal, total=total, **settled)
    return settled


def _shown(order: Any, settled: dict[str, Any]) -> dict[str, Any]:
    """A line edit's consequences for the order, for its history entry."""
    if not settled:
        return {}
    return {"order_changes": {k: {"before": plain(getattr(order, k)), "after": plain(v)} for k, v in settled.items()}}


async def _request_offer_copy(
    conn: AsyncConnection, actor: Actor, order: Any, offer_id: UUID, offer_title: str | None
) -> dict[str, Any]:
    """The order's terms now differ from the offer's: ask offers for a system copy holding them, and
    point the order's lines of that offer at it, so later changes of the offer no longer reach them."""
    copy_id = uuid4()
    lines = [line for line in await repo.lines_of(conn, order.id) if line.offer_id == offer_id and not line.customised]
    title = f"{offer_title or 'Offer'}{COPY_SUFFIX}"
    for line in lines:
        await repo.update_line(conn, line.id, offer_id=copy_id, offer_title=title, customised=True)
    await add_to_outbox(conn, outbox, actor.event(
        OfferCopyRequested, copy_id=copy_id, source_offer_id=offer_id, order_id=order.id, order_number=order.number,
        lines=[OfferCopyLine(product_id=line.product_id, price=quantize(line.price, order.currency),
                             access=AccessTerms.model_validate(line.access)) for line in lines],
    ))
    return {"source_offer_id": offer_id, "copy_id": copy_id, "title": title}
