"""SQL of the offers service."""

from decimal import Decimal
from typing import Any
from uuid import UUID

from contracts import quantize

from sqlalchemy import Text, case, cast, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.offer import Checkout, Item, Offer
from .tables import checkouts, idempotency_keys, offer_items, offers, products, schools


async def save_school(conn: AsyncConnection, account_id: UUID, name: str, default_locale: str) -> None:
    stmt = pg_insert(schools).values(account_id=account_id, name=name, default_locale=default_locale)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[schools.c.account_id],
            set_={"name": name, "default_locale": default_locale, "updated_at": func.now()},
        )
    )


async def add_product(conn: AsyncConnection, *, id: UUID, account_id: UUID, title: str, kind: str) -> None:
    await conn.execute(insert(products).values(id=id, account_id=account_id, title=title, kind=kind))


async def product_titles(conn: AsyncConnection, account_id: UUID, ids: list[UUID]) -> dict[UUID, str]:
    rows = await conn.execute(
        select(products.c.id, products.c.title).where(products.c.account_id == account_id, products.c.id.in_(ids))
    )
    return {r.id: r.title for r in rows}


async def add_offer(conn: AsyncConnection, offer: Offer) -> None:
    await conn.execute(
        insert(offers).values(
            id=offer.id, account_id=offer.account_id, title=offer.title, currency=offer.currency,
            discount=offer.discount, provider=offer.provider, status=offer.status, version=offer.version,
        )
    )
    await conn.execute(
        insert(offer_items),
        [{"offer_id": offer.id, "position": n, "product_id": i.product_id, "price": i.price}
         for n, i in enumerate(offer.items)],
    )


_ITEMS = (
    select(func.json_agg(aggregate_order_by(
        # Prices as text: a JSON number would come back as a float.
        func.json_build_object("product_id", offer_items.c.product_id, "price", cast(offer_items.c.price, Text),
                               "title", products.c.title),
        offer_items.c.position,
    )))
    .select_from(offer_items.join(products, products.c.id == offer_items.c.product_id))
    .where(offer_items.c.offer_id == offers.c.id)
    .correlate(offers)
    .scalar_subquery()
)


# Offers with their items and their school's name, in one round trip (the open path is hot).
_OFFERS = (
    select(offers, _ITEMS.label("items"), schools.c.name.label("school_name"))
    .outerjoin(schools, schools.c.account_id == offers.c.account_id)
)


def _offer(row: Any) -> Offer:
    items = [Item(UUID(i["product_id"]), i["title"], quantize(Decimal(i["price"]), row.currency))
             for i in row.items or []]
    return Offer(
        id=row.id, account_id=row.account_id, title=row.title, currency=row.currency, items=items,
        discount=quantize(row.discount, row.currency), provider=row.provider, status=row.status, version=row.version,
    )


async def get_offer_with_school(
    conn: AsyncConnection, offer_id: UUID, account_id: UUID | None = None
) -> tuple[Offer, str | None] | None:
    query = _OFFERS.where(offers.c.id == offer_id)
    if account_id is not None:
        query = query.where(offers.c.account_id == account_id)
    row = (await conn.execute(query)).first()
    return (_offer(row), row.school_name) if row else None


async def offers_of(conn: AsyncConnection, account_id: UUID) -> list[Offer]:
    rows = await conn.execute(
        _OFFERS.where(offers.c.account_id == account_id).order_by(offers.c.created_at, offers.c.id)
    )
    return [_offer(row) for row in rows]


async def get_offer(conn: AsyncConnection, offer_id: UUID, account_id: UUID | None = None) -> Offer | None:
    found = await get_offer_with_school(conn, offer_id, account_id)
    return found[0] if found else None


async def add_checkout(conn: AsyncConnection, checkout: Checkout) -> None:
    await conn.execute(
        insert(checkouts).values(
            id=checkout.id, account_id=checkout.account_id, offer_id=checkout.offer_id,
            offer_version=checkout.offer_version, source=checkout.source, status=checkout.status,
        )
    )


# The order and the link arrive on different topics, in either order; the checkout is ready
# once it has both. The row lock makes the second writer see the first one's value.
def _ready_when(other_is_known: Any) -> Any:
    return case((other_is_known, "ready"), else_=checkouts.c.status)


async def record_order(conn: AsyncConnection, checkout_id: UUID, account_id: UUID, order_id: UUID, number: int) -> None:
    await conn.execute(
        update(checkouts)
        .where(checkouts.c.id == checkout_id, checkouts.c.account_id == account_id)
        .values(order_id=order_id, order_number=number, updated_at=func.now(),
                status=_ready_when(checkouts.c.payment_url.is_not(None)))
    )


async def record_payment_link(conn: AsyncConnection, checkout_id: UUID, account_id: UUID, url: str) -> None:
    await conn.execute(
        update(checkouts)
        .where(checkouts.c.id == checkout_id, checkouts.c.account_id == account_id)
        .values(payment_url=url, updated_at=func.now(),
                status=_ready_when(checkouts.c.order_number.is_not(None)))
    )


async def remembered_checkout(conn: AsyncConnection, scope: str, key: str) -> tuple[UUID, str] | None:
    """The checkout an earlier request with this key made, and that request's fingerprint.

    Takes a transaction lock on the key first, so concurrent repeats wait for the first one.
    """
    await conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"{scope}/{key}"})
    row = (await conn.execute(
        select(idempotency_keys.c.checkout_id, idempotency_keys.c.fingerprint)
        .where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
    )).first()
    return (row.checkout_id, row.fingerprint) if row else None


async def remember_checkout(conn: AsyncConnection, scope: str, key: str, fingerprint: str, checkout_id: UUID) -> None:
    await conn.execute(insert(idempotency_keys).values(scope=scope, key=key, fingerprint=fingerprint,
                                                       checkout_id=checkout_id))
