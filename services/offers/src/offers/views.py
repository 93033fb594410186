"""Read side of the offers service: what the API shows."""

from typing import Any
from uuid import UUID

from servicekit.db import single_statement
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from .adapters import repository as repo
from .adapters.tables import products, schools
from .domain.offer import Offer
from .domain.product import Product


def offer_view(offer: Offer) -> dict[str, Any]:
    snapshot = offer.snapshot()
    return {
        "id": offer.id,
        "title": offer.title,
        "currency": offer.currency,
        "status": offer.status,
        "version": offer.version,
        "provider": offer.provider,
        "items": snapshot["items"],
        "subtotal": offer.money(offer.subtotal),
        "discount": offer.money(offer.discount_amount),
        "discount_rule": snapshot["discount"],
        "total": offer.money(offer.total),
        "payment_plan": [
            {"type": p.type, "amount": offer.money(p.amount), "due_at": p.due_at, "closes_access": p.closes_access}
            for p in offer.planned_payments()
        ],
        "curators": offer.curators,
        "is_system_copy": offer.is_system_copy,
        "source_offer_id": offer.source_offer_id,
    }


def etag(offer: Offer) -> str:
    return f'"{offer.version}"'


async def offer(conn: AsyncConnection, account_id: UUID, offer_id: UUID) -> Offer | None:
    return await repo.get_offer(conn, offer_id, account_id)


async def offers(conn: AsyncConnection, account_id: UUID, *, include_system_copies: bool = False
                 ) -> list[dict[str, Any]]:
    return [offer_view(found) for found in await repo.offers_of(conn, account_id,
                                                                 include_system_copies=include_system_copies)]


async def offer_versions(conn: AsyncConnection, account_id: UUID, offer_id: UUID) -> list[dict[str, Any]] | None:
    rows = await repo.versions_of(conn, account_id, offer_id)
    if not rows:
        return None
    return [{"version": r.version, "created_at": r.created_at, **r.snapshot} for r in rows]


def product_view(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "title": product.title,
        "kind": product.kind,
        "modules": product.structure_json(),
        "defaults": product.defaults_json(),
    }


async def product_list(conn: AsyncConnection, account_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(products).where(products.c.account_id == account_id).order_by(products.c.created_at, products.c.id)
    )
    return [product_view(repo.product_from_row(r)) for r in rows]


async def product(conn: AsyncConnection, account_id: UUID, product_id: UUID) -> dict[str, Any] | None:
    found = await repo.get_product(conn, account_id, product_id)
    return product_view(found) if found else None


async def school(conn: AsyncConnection, account_id: UUID) -> dict[str, Any] | None:
    row = (await conn.execute(
        select(schools.c.name, schools.c.default_locale, schools.c.time_zone, schools.c.reply_to)
        .where(schools.c.account_id == account_id)
    )).first()
    return dict(row._mapping) if row else None


async def checkout_status(conn: AsyncConnection, checkout_id: UUID) -> dict[str, Any] | None:
    """What the visitor's page polls: never anything internal."""
    # Every poll reads it: straight to asyncpg, prepared, and with no transaction around one read
    # (servicekit.db.single_statement: one round trip, not three).
    row = await (await single_statement(conn)).fetchrow(_CHECKOUT_STATUS, checkout_id)
    if row is None:
        return None
    return {"status": row["status"], "order_number": row["order_number"], "payment_url": row["payment_url"]}


_CHECKOUT_STATUS = "SELECT status, order_number, payment_url FROM checkouts WHERE id = $1"


async def public_offer(conn: AsyncConnection, offer_id: UUID) -> dict[str, Any] | None:
    """What an offer page shows a visitor: titles and prices, nothing internal."""
    found = await repo.get_offer_with_school(conn, offer_id)
    if found is None or found[0].status != "active" or found[0].is_system_copy:
        return None
    offer_, school_name, _ = found
    return {
        "id": offer_.id,
        "title": offer_.title,
        "school_name": school_name,
        "currency": offer_.currency,
        "items": [{"title": i.product_title, "price": offer_.money(i.price)} for i in offer_.items],
        "discount": offer_.money(offer_.discount_amount),
        "total": offer_.money(offer_.total),
    }
