"""Edits of an order from the CRM: each one versioned, recorded with who and when, and announced.

Each use case loads the order, looks up what the request names outside it (a contact, a place in
the funnel, a product of the catalog, the school's zone), lets the aggregate apply it, and saves."""

from datetime import tzinfo
from uuid import UUID, uuid4

from contracts import AccessTerms, utcnow
from servicekit.idempotency import Idempotent

from ..entrypoints.bodies import LineChanges, NewLine, OrderChanges
from ..domain.actor import Actor
from ..domain.catalog import check_line
from ..domain.order import EDITABLE, Discount, InvalidOrder, Order
from ..domain.zones import terms_in_zone, zone_named
from .errors import NotFound
from .placement import place
from .unit_of_work import UnitOfWork


async def edit_order(uow: UnitOfWork, actor: Actor, order_id: UUID, version: int, changes: OrderChanges) -> None:
    """Load the order, find what the request names (its contact, its place in the funnel), edit, save."""
    order = await _loaded_at_version(uow, actor, order_id, version)
    given = {name: getattr(changes, name) for name in changes.model_fields_set & set(EDITABLE)}
    if given.get("discount") is not None:
        given["discount"] = Discount.of(given["discount"])
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


async def _loaded_at_version(uow: UnitOfWork, actor: Actor, order_id: UUID, version: int) -> Order:
    """The order, loaded for update, if it is still at the version the edit was based on."""
    order = await uow.orders.load(actor.account_id, order_id)
    if order is None:
        raise NotFound(f"no order {order_id}")
    order.check_version(version)  # a stale edit is told so before anything else is looked at
    return order


async def _zone(uow: UnitOfWork, account_id: UUID, default: tzinfo) -> tzinfo:
    """The zone the school's dates are typed in: its own, else the deployment's (domain.zones)."""
    return zone_named(await uow.schools.time_zone(account_id), default)


async def add_line(
    uow: UnitOfWork, actor: Actor, order_id: UUID, version: int, command: NewLine, default_zone: tzinfo, *,
    idempotency: Idempotent | None = None,
) -> UUID:
    """Its dates typed without an offset are read in the school's zone, else `default_zone`. A repeat
    under its key is the line it added: looked up before the version, which the first one moved on."""
    if (earlier := await uow.idempotency.made_before(str(actor.account_id), idempotency)) is not None:
        return earlier
    order = await _loaded_at_version(uow, actor, order_id, version)
    terms = terms_in_zone(command.access, await _zone(uow, actor.account_id, default_zone))
    catalog_title = check_line(await uow.catalog.product(actor.account_id, command.product_id), command.product_id,
                               terms)
    line_id = uuid4()
    events = order.add_line(
        actor, version, line_id=line_id, product_id=command.product_id,
        product_title=command.product_title or catalog_title, price=command.price, terms=terms,
        offer_id=command.offer_id, offer_title=command.offer_title, now=utcnow())
    await uow.orders.save(order)
    await uow.outbox.add(*events)
    await uow.idempotency.remember(str(actor.account_id), idempotency, line_id)
    return line_id


async def edit_line(
    uow: UnitOfWork, actor: Actor, order_id: UUID, line_id: UUID, version: int, changes: LineChanges,
    default_zone: tzinfo,
) -> None:
    """Its dates typed without an offset are read in the school's zone, else `default_zone`."""
    order = await _loaded_at_version(uow, actor, order_id, version)
    line = order.line(line_id)
    given = {name: getattr(changes, name) for name in changes.model_fields_set - {"version"}}
    terms: AccessTerms | InvalidOrder | None = None
    if given.get("access") is not None:
        try:
            terms = terms_in_zone(given["access"], await _zone(uow, actor.account_id, default_zone))
            check_line(await uow.catalog.product(actor.account_id, line.product_id), line.product_id, terms)
        except InvalidOrder as exc:  # refused where the edit's rules reach it, after the price
            terms = exc
    events = order.edit_line(actor, version, line_id, given, now=utcnow(), terms=terms)
    await uow.orders.save(order)
    await uow.outbox.add(*events)


async def remove_line(uow: UnitOfWork, actor: Actor, order_id: UUID, line_id: UUID, version: int) -> None:
    order = await _loaded_at_version(uow, actor, order_id, version)
    events = order.remove_line(actor, version, line_id, utcnow())
    await uow.orders.save(order)
    await uow.outbox.add(*events)
