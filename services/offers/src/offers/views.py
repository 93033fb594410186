"""Read side of the offers service: what the API shows."""

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from .adapters import repository as repo
from .adapters.tables import checkouts, products, schools


def _offer_view(offer: Any) -> dict[str, Any]:
    return {
        "id": offer.id,
        "title": offer.title,
        "currency": offer.currency,
        "status": offer.status,
        "version": offer.version,
        "provider": offer.provider,
        "items": [{"product_id": i.product_id, "product_title": i.product_title, "price": str(i.price)} for i in offer.items],
        "subtotal": str(offer.subtotal),
        "discount": str(offer.discount),
        "total": str(offer.total),
    }


async def offer(conn: AsyncConnection, account_id: UUID, offer_id: UUID) -> dict[str, Any] | None:
    found = await repo.get_offer(conn, offer_id, account_id)
    return _offer_view(found) if found else None


async def offers(conn: AsyncConnection, account_id: UUID) -> list[dict[str, Any]]:
    return [_offer_view(found) for found in await repo.offers_of(conn, account_id)]


async def product_list(conn: AsyncConnection, account_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(products.c.id, products.c.title, products.c.kind)
        .where(products.c.account_id == account_id)
        .order_by(products.c.created_at, products.c.id)
    )
    return [dict(r._mapping) for r in rows]


async def product(conn: AsyncConnection, account_id: UUID, product_id: UUID) -> dict[str, Any] | None:
    row = (await conn.execute(
        select(products.c.id, products.c.title, products.c.kind)
        .where(products.c.account_id == account_id, products.c.id == product_id)
    )).first()
    return dict(row._mapping) if row else None


async def school(conn: AsyncConnection, account_id: UUID) -> dict[str, Any] | None:
    row = (await conn.execute(
        select(schools.c.name, schools.c.default_locale).where(schools.c.account_id == account_id)
    )).first()
    return dict(row._mapping) if row else None


async def checkout_status(conn: AsyncConnection, checkout_id: UUID) -> dict[str, Any] | None:
    """What the visitor's page polls: never anything internal."""
    row = (await conn.execute(
        select(checkouts.c.status, checkouts.c.order_number, checkouts.c.payment_url)
        .where(checkouts.c.id == checkout_id)
    )).first()
    if row is None:
        return None
    return {"status": row.status, "order_number": row.order_number, "payment_url": row.payment_url}


async def public_offer(conn: AsyncConnection, offer_id: UUID) -> dict[str, Any] | None:
    """What an offer page shows a visitor: titles and prices, nothing internal."""
    with_school = await repo.get_offer_with_school(conn, offer_id)
    if with_school is None or with_school[0].status != "active":
        return None
    found, school_name = with_school
    return {
        "id": found.id,
        "title": found.title,
        "school_name": school_name,
        "currency": found.currency,
        "items": [{"title": i.product_title, "price": str(i.price)} for i in found.items],
        "discount": str(found.discount),
        "total": str(found.total),
    }
