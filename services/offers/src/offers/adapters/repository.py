"""SQL of the offers service."""

import json
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from contracts import AccessTerms, quantize
from sqlalchemy import Text, cast, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from servicekit.db import driver_connection
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.offer import Checkout, Item, Offer
from ..domain.pricing import Discount, PlanPayment
from ..domain.product import Product, defaults_from_json, modules_from_json
from ..domain.school import SchoolProfile
from .checkout_notices import CHANNEL as CHECKOUT_CHANNEL
from .tables import offer_items, offer_versions, offers, products, schools


_PROFILE = (schools.c.name, schools.c.default_locale, schools.c.time_zone, schools.c.reply_to)


async def school_for_update(conn: AsyncConnection, account_id: UUID) -> SchoolProfile | None:
    """The profile as it is, with the school held until commit (a row lock cannot hold a school
    that has no row yet), so concurrent edits announce their changes in the order they apply."""
    await conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"school/{account_id}"})
    row = (await conn.execute(
        select(*_PROFILE).where(schools.c.account_id == account_id)
    )).first()
    return SchoolProfile(**row._mapping) if row else None


async def save_school(conn: AsyncConnection, account_id: UUID, profile: SchoolProfile) -> None:
    values = asdict(profile)
    stmt = pg_insert(schools).values(account_id=account_id, **values)
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=[schools.c.account_id], set_={**values, "updated_at": func.now()})
    )


def product_from_row(row: Any) -> Product:
    return Product(id=row.id, account_id=row.account_id, title=row.title, kind=row.kind,
                   modules=modules_from_json(row.modules), defaults=defaults_from_json(row.defaults))


async def add_product(conn: AsyncConnection, product: Product) -> None:
    await conn.execute(insert(products).values(
        id=product.id, account_id=product.account_id, title=product.title, kind=product.kind,
        modules=product.structure_json(), defaults=product.defaults_json(),
    ))


async def update_product(conn: AsyncConnection, product: Product) -> None:
    await conn.execute(
        update(products)
        .where(products.c.id == product.id, products.c.account_id == product.account_id)
        .values(title=product.title, kind=product.kind, modules=product.structure_json(),
                defaults=product.defaults_json(), updated_at=func.now())
    )


async def get_product(conn: AsyncConnection, account_id: UUID, product_id: UUID, *, for_update: bool = False
                      ) -> Product | None:
    query = select(products).where(products.c.account_id == account_id, products.c.id == product_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return product_from_row(row) if row else None


async def terms_selling(conn: AsyncConnection, account_id: UUID, product_id: UUID) -> list[tuple[str, AccessTerms]]:
    """The access terms every offer (copies too) grants on this product, with the offer's title."""
    rows = await conn.execute(
        select(offers.c.title, offer_items.c.access)
        .select_from(offer_items.join(offers, offers.c.id == offer_items.c.offer_id))
        .where(offers.c.account_id == account_id, offer_items.c.product_id == product_id)
    )
    return [(r.title, AccessTerms.model_validate(r.access or {})) for r in rows]


async def products_by_id(conn: AsyncConnection, account_id: UUID, ids: list[UUID]) -> dict[UUID, Product]:
    rows = await conn.execute(select(products).where(products.c.account_id == account_id, products.c.id.in_(ids)))
    return {r.id: product_from_row(r) for r in rows}


def _offer_row(offer: Offer) -> dict[str, Any]:
    return dict(
        title=offer.title, currency=offer.currency, discount=offer.discount.value, discount_kind=offer.discount.kind,
        provider=offer.provider, status=offer.status, version=offer.version,
        payment_plan=offer.snapshot()["payment_plan"], curators=list(offer.curators),
        is_system_copy=offer.is_system_copy, source_offer_id=offer.source_offer_id,
    )


async def _write_items_and_version(conn: AsyncConnection, offer: Offer) -> None:
    await conn.execute(
        insert(offer_items),
        [{"offer_id": offer.id, "position": n, "product_id": i.product_id, "price": i.price,
          "access": json.loads(i.access.model_dump_json())}
         for n, i in enumerate(offer.items)],
    )
    await conn.execute(insert(offer_versions).values(
        offer_id=offer.id, version=offer.version, account_id=offer.account_id, snapshot=offer.snapshot()))


async def add_offer(conn: AsyncConnection, offer: Offer) -> None:
    await conn.execute(insert(offers).values(id=offer.id, account_id=offer.account_id, **_offer_row(offer)))
    await _write_items_and_version(conn, offer)


async def replace_offer(conn: AsyncConnection, offer: Offer, expected_version: int) -> bool:
    """Write the next version; False when the stored one is no longer `expected_version`."""
    done = await conn.execute(
        update(offers)
        .where(offers.c.id == offer.id, offers.c.account_id == offer.account_id, offers.c.version == expected_version)
        .values(**_offer_row(offer), updated_at=func.now())
    )
    if done.rowcount != 1:
        return False
    await conn.execute(delete(offer_items).where(offer_items.c.offer_id == offer.id))
    await _write_items_and_version(conn, offer)
    return True


async def offer_exists(conn: AsyncConnection, offer_id: UUID) -> tuple[UUID, bool, UUID | None] | None:
    """Whose offer this id is, whether it is a system copy, and of what."""
    row = (await conn.execute(
        select(offers.c.account_id, offers.c.is_system_copy, offers.c.source_offer_id).where(offers.c.id == offer_id)
    )).first()
    return (row.account_id, row.is_system_copy, row.source_offer_id) if row else None


_ITEMS = (
    select(func.json_agg(aggregate_order_by(
        # Prices as text: a JSON number would come back as a float.
        func.json_build_object("product_id", offer_items.c.product_id, "price", cast(offer_items.c.price, Text),
                               "title", products.c.title, "access", offer_items.c.access),
        offer_items.c.position,
    )))
    .select_from(offer_items.join(products, products.c.id == offer_items.c.product_id))
    .where(offer_items.c.offer_id == offers.c.id)
    .correlate(offers)
    .scalar_subquery()
)


# Offers with their items and their school's name and locale, in one round trip (the open path is hot).
_OFFERS = (
    select(offers, _ITEMS.label("items"), schools.c.name.label("school_name"),
           schools.c.default_locale.label("school_locale"))
    .outerjoin(schools, schools.c.account_id == offers.c.account_id)
)


def _plan(data: list[dict[str, Any]] | None, currency: str) -> list[PlanPayment] | None:
    if data is None:
        return None
    return [PlanPayment(type=p["type"], amount=quantize(Decimal(p["amount"]), currency),
                        due_at=datetime.fromisoformat(p["due_at"]) if p.get("due_at") else None,
                        closes_access=bool(p.get("closes_access")))
            for p in data]


# The same read of one offer straight to asyncpg (servicekit.db.driver_connection), prepared once per
# connection: the offer page and every checkout read it. The json columns come back parsed.
_OFFER_WITH_SCHOOL = (
    "SELECT o.id, o.account_id, o.title, o.currency, o.discount, o.discount_kind, o.provider, o.status, o.version, "
    "o.payment_plan, o.curators, o.is_system_copy, o.source_offer_id, "
    "(SELECT json_agg(json_build_object('product_id', i.product_id, 'price', CAST(i.price AS text), "
    "'title', p.title, 'access', i.access) ORDER BY i.position) "
    "FROM offer_items i JOIN products p ON p.id = i.product_id WHERE i.offer_id = o.id) AS items, "
    "s.name AS school_name, s.default_locale AS school_locale "
    "FROM offers o LEFT JOIN schools s ON s.account_id = o.account_id WHERE o.id = $1"
)


def _offer(row: Any) -> Offer:
    """An offer from a row of `_OFFERS` or `_OFFER_WITH_SCHOOL`, read by column name."""
    currency = row["currency"]
    items = [Item(UUID(i["product_id"]), i["title"], quantize(Decimal(i["price"]), currency),
                  AccessTerms.model_validate(i["access"]) if i.get("access") else AccessTerms())
             for i in row["items"] or []]
    discount = row["discount"]
    value = discount.normalize() if row["discount_kind"] == "percent" else quantize(discount, currency)
    return Offer(
        id=row["id"], account_id=row["account_id"], title=row["title"], currency=currency, items=items,
        discount=Discount(row["discount_kind"], value),
        provider=row["provider"], status=row["status"], version=row["version"],
        plan=_plan(row["payment_plan"], currency), curators=list(row["curators"] or []),
        is_system_copy=row["is_system_copy"], source_offer_id=row["source_offer_id"],
    )


async def get_offer_with_school(
    conn: AsyncConnection, offer_id: UUID, account_id: UUID | None = None, *, for_update: bool = False,
) -> tuple[Offer, str | None, str | None] | None:
    """The offer, its school's name and its school's locale (None where the school has no profile)."""
    if account_id is None and not for_update:
        found = await (await driver_connection(conn)).fetchrow(_OFFER_WITH_SCHOOL, offer_id)
        return (_offer(found), found["school_name"], found["school_locale"]) if found else None
    query = _OFFERS.where(offers.c.id == offer_id)
    if account_id is not None:
        query = query.where(offers.c.account_id == account_id)
    if for_update:
        query = query.with_for_update(of=offers)
    row = (await conn.execute(query)).first()
    return (_offer(row._mapping), row.school_name, row.school_locale) if row else None


async def offers_of(conn: AsyncConnection, account_id: UUID, *, include_system_copies: bool = False) -> list[Offer]:
    query = _OFFERS.where(offers.c.account_id == account_id)
    if not include_system_copies:
        query = query.where(offers.c.is_system_copy.is_(False))
    rows = await conn.execute(query.order_by(offers.c.created_at, offers.c.id))
    return [_offer(row._mapping) for row in rows]


async def get_offer(conn: AsyncConnection, offer_id: UUID, account_id: UUID | None = None, *,
                    for_update: bool = False) -> Offer | None:
    found = await get_offer_with_school(conn, offer_id, account_id, for_update=for_update)
    return found[0] if found else None


async def versions_of(conn: AsyncConnection, account_id: UUID, offer_id: UUID) -> list[Any]:
    rows = await conn.execute(
        select(offer_versions.c.version, offer_versions.c.created_at, offer_versions.c.snapshot)
        .where(offer_versions.c.offer_id == offer_id, offer_versions.c.account_id == account_id)
        .order_by(offer_versions.c.version)
    )
    return list(rows)


# A purchase's statements on checkouts go straight to asyncpg, prepared once per connection.
_ADD_CHECKOUT = (
    "INSERT INTO checkouts (id, account_id, offer_id, offer_version, source, status) VALUES ($1, $2, $3, $4, $5, $6)"
)

# The order and the link arrive on different topics, in either order; the checkout is ready
# once it has both. The row lock makes the second writer see the first one's value. The write
# that makes it ready also notifies the checkout's channel (checkout_notices.py), delivered on
# commit: a visitor's request waits only while the checkout is pending, so the first of the two
# would wake it to read a checkout still pending, and wait again.
_RECORD_ORDER = (
    "WITH recorded AS (UPDATE checkouts SET order_id = $3, order_number = $4, updated_at = now(), "
    "status = CASE WHEN payment_url IS NOT NULL THEN 'ready' ELSE status END "
    "WHERE id = $1 AND account_id = $2 RETURNING status) "
    "SELECT pg_notify($5, $6) FROM recorded WHERE status = 'ready'"
)
_RECORD_PAYMENT_LINK = (
    "WITH recorded AS (UPDATE checkouts SET payment_url = $3, updated_at = now(), "
    "status = CASE WHEN order_number IS NOT NULL THEN 'ready' ELSE status END "
    "WHERE id = $1 AND account_id = $2 RETURNING status) "
    "SELECT pg_notify($4, $5) FROM recorded WHERE status = 'ready'"
)


async def add_checkout(conn: AsyncConnection, checkout: Checkout) -> None:
    await (await driver_connection(conn)).execute(
        _ADD_CHECKOUT, checkout.id, checkout.account_id, checkout.offer_id, checkout.offer_version, checkout.source,
        checkout.status,
    )


async def record_order(conn: AsyncConnection, checkout_id: UUID, account_id: UUID, order_id: UUID, number: int) -> None:
    """The checkout's order, and the notice that the checkout is ready if this made it so, in one statement."""
    await (await driver_connection(conn)).execute(
        _RECORD_ORDER, checkout_id, account_id, order_id, number, CHECKOUT_CHANNEL, str(checkout_id),
    )


async def record_payment_link(conn: AsyncConnection, checkout_id: UUID, account_id: UUID, url: str) -> None:
    """The checkout's payment link, and the notice that the checkout is ready if this made it so, in one
    statement."""
    await (await driver_connection(conn)).execute(
        _RECORD_PAYMENT_LINK, checkout_id, account_id, url, CHECKOUT_CHANNEL, str(checkout_id),
    )
