"""Facts from the offers service: offers and products that changed, and the school's profile."""

from contracts import AccessTerms, OfferUpdated, ProductUpdated, SchoolUpdated
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters import repository as repo
from .common import Actor, announce_update, history, refresh_access


async def on_school_updated(conn: AsyncConnection, event: SchoolUpdated) -> None:
    # The zone as named, even one this database cannot read: reading falls back (domain.zones),
    # and a newer zone database then reads it with no new event.
    await repo.save_school(conn, event.account_id, name=event.name, locale=event.default_locale,
                           time_zone=event.time_zone)


async def on_product_updated(conn: AsyncConnection, event: ProductUpdated) -> None:
    await repo.save_catalog_product(conn, event)


async def on_offer_updated(conn: AsyncConnection, event: OfferUpdated) -> None:
    """Lines never customised take the offer's new access terms; agreed prices never change.
    A system copy's own updates are its echo of our request: nothing follows those."""
    if event.is_system_copy:
        return
    terms = {line.product_id: line.access for line in event.lines}
    actor = Actor.of(event)
    touched: dict = {}
    for line in await repo.lines_following_offer(conn, event.account_id, event.offer_id):
        if line.offer_version is not None and line.offer_version >= event.offer_version:
            continue
        new_terms = terms.get(line.product_id)
        values: dict = {"offer_version": event.offer_version, "offer_title": event.offer_title}
        if new_terms is not None and new_terms != AccessTerms.model_validate(line.access):
            values["access"] = new_terms.model_dump(mode="json")
            touched.setdefault(line.order_id, []).append(line.id)
        await repo.update_line(conn, line.id, **values)
    for order_id, line_ids in touched.items():
        await repo.bump_version(conn, order_id)
        await history(conn, actor, order_id, "offer_terms_followed", {
            "offer_id": event.offer_id, "offer_version": event.offer_version, "line_ids": line_ids})
        await announce_update(conn, actor, order_id, ["lines"])
        await refresh_access(conn, actor, order_id, "terms_changed")
