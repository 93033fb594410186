"""Facts from the offers service: offers and products that changed, and the school's profile."""

from contracts import OfferUpdated, ProductUpdated, SchoolUpdated, utcnow

from .unit_of_work import UnitOfWork


async def describe_school(uow: UnitOfWork, event: SchoolUpdated) -> None:
    # The zone as named, even one this database cannot read: reading falls back (domain.zones),
    # and a newer zone database then reads it with no new event.
    await uow.schools.describe(event.account_id, name=event.name, locale=event.default_locale,
                               time_zone=event.time_zone)


async def keep_product(uow: UnitOfWork, event: ProductUpdated) -> None:
    """Manual lines sell the school's catalog: orders keeps its own copy, the newest announcement's."""
    await uow.catalog.record(event)


async def follow_offer(uow: UnitOfWork, event: OfferUpdated) -> None:
    """A system copy's own updates are its echo of our request: nothing follows those."""
    if event.is_system_copy:
        return
    now = utcnow()
    for order_id in await uow.orders.following_offer(event.account_id, event.offer_id):
        order = await uow.orders.load(event.account_id, order_id)
        assert order is not None  # locked by the query that found it
        events = order.follow_offer(event, now)
        await uow.orders.save(order)
        await uow.outbox.add(*events)
