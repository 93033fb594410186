"""SQL of the orders service."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from contracts import CourseDefaultsOutline, ModuleOutline, ProductUpdated
from servicekit.db import driver_connection
from sqlalchemy import Row, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.catalog import CatalogProduct
from ..domain.order import Contact
from ..domain.pipeline import Pipeline, Stage, Visit
from .tables import (
    catalog_products, contacts, order_history, order_lines, orders, pipelines,
    schools, stages,
)


# What the school has for a visit, in one round trip (this path runs for every visit): the order
# already made for this checkout, if any; else the school's default pipeline with its stages, its
# contact with the visit's email, locked (a concurrent visit of the same contact waits, then sees
# what this one filled in), and the next order number, taken (the counter's row lock serialises
# numbering per school only). The statements of a visit go straight to asyncpg, prepared once per
# connection (db.driver_connection).
_VISIT = """
    WITH existing AS (SELECT o.id FROM orders o WHERE o.checkout_id = $1),
    known AS (
        SELECT c.id, c.name, c.email, c.phone, c.locale FROM contacts c
        WHERE c.account_id = $2 AND c.email_key = $3 AND NOT EXISTS (SELECT 1 FROM existing)
        FOR UPDATE
    ),
    numbered AS (
        INSERT INTO order_counters (account_id, last_number)
        SELECT $2, 1 WHERE NOT EXISTS (SELECT 1 FROM existing)
        ON CONFLICT (account_id) DO UPDATE SET last_number = order_counters.last_number + 1
        RETURNING last_number
    )
    SELECT (SELECT id FROM existing) AS existing_order, (SELECT last_number FROM numbered) AS number,
           k.id AS contact_id, k.name AS contact_name, k.email AS contact_email, k.phone AS contact_phone,
           k.locale AS contact_locale,
           p.id, p.name, p.is_default,
           s.id AS stage_id, s.name AS stage_name, s.on_full_payment, s.on_cancel
    FROM (SELECT 1) AS one
    LEFT JOIN known k ON true
    LEFT JOIN pipelines p ON p.account_id = $2 AND p.is_default AND NOT EXISTS (SELECT 1 FROM existing)
    LEFT JOIN stages s ON s.pipeline_id = p.id
    ORDER BY s.position
"""


async def visit(conn: AsyncConnection, account_id: UUID, checkout_id: UUID, email: str) -> Visit:
    rows = await (await driver_connection(conn)).fetch(_VISIT, checkout_id, account_id, email.lower())
    first = rows[0]
    contact = None if first["contact_id"] is None else Contact(
        first["contact_id"], first["contact_name"], first["contact_email"], first["contact_phone"],
        first["contact_locale"])
    default = None if first["id"] is None else Pipeline(
        first["id"], tuple(Stage(r["stage_id"], r["stage_name"], r["on_full_payment"], r["on_cancel"])
                           for r in rows if r["stage_id"] is not None), first["name"], first["is_default"])
    return Visit(first["existing_order"], default, contact, first["number"])


def _pipeline(rows: Sequence[Row[Any]]) -> Pipeline | None:
    """A pipeline from its rows joined to its stages, in their order."""
    if not rows or rows[0].id is None:
        return None
    first = rows[0]
    return Pipeline(first.id, tuple(Stage(r.stage_id, r.stage_name, r.on_full_payment, r.on_cancel)
                                    for r in rows if r.stage_id is not None), first.name, first.is_default)


# The row lock on the counter serialises numbering per school only.
_NEXT_NUMBER = """
    INSERT INTO order_counters (account_id, last_number) VALUES ($1, 1)
    ON CONFLICT (account_id) DO UPDATE SET last_number = order_counters.last_number + 1
    RETURNING last_number
"""


async def next_order_number(conn: AsyncConnection, account_id: UUID) -> int:
    return await (await driver_connection(conn)).fetchval(_NEXT_NUMBER, account_id)


async def add_history(
    conn: AsyncConnection, order_id: UUID, account_id: UUID, actor: str, kind: str, details: dict[str, Any]
) -> None:
    await conn.execute(
        insert(order_history).values(order_id=order_id, account_id=account_id, actor=actor, kind=kind, details=details)
    )


# --- orders as a whole ---------------------------------------------------------------------


async def add_line(conn: AsyncConnection, values: dict[str, Any]) -> None:
    position = await conn.scalar(
        select(func.coalesce(func.max(order_lines.c.position) + 1, 0)).where(order_lines.c.order_id == values["order_id"])
    )
    await conn.execute(insert(order_lines).values(position=position, **values))


# --- pipelines and stages ------------------------------------------------------------------

_PIPELINE = (
    select(pipelines.c.id, pipelines.c.name, pipelines.c.is_default, stages.c.id.label("stage_id"),
           stages.c.name.label("stage_name"), stages.c.on_full_payment, stages.c.on_cancel)
    .select_from(pipelines.outerjoin(stages, stages.c.pipeline_id == pipelines.c.id))
    .order_by(stages.c.position)
)


async def pipeline_where(conn: AsyncConnection, account_id: UUID, *where: Any) -> Pipeline | None:
    """The school's pipeline that `where` picks, with its stages."""
    return _pipeline((await conn.execute(_PIPELINE.where(pipelines.c.account_id == account_id, *where))).all())


async def pipeline_of_stage(conn: AsyncConnection, account_id: UUID, stage_id: UUID) -> Pipeline | None:
    holder = select(stages.c.pipeline_id).where(stages.c.id == stage_id, stages.c.account_id == account_id)
    return await pipeline_where(conn, account_id, pipelines.c.id == holder.scalar_subquery())


async def add_default_pipeline(conn: AsyncConnection, account_id: UUID, pipeline: Pipeline) -> bool:
    """False, and nothing written, if the school has its default already (one per school, an index)."""
    created = await conn.execute(
        pg_insert(pipelines)
        .values(id=pipeline.id, account_id=account_id, name=pipeline.name, is_default=True)
        .on_conflict_do_nothing()
        .returning(pipelines.c.id)
    )
    if created.first() is None:
        return False
    await conn.execute(insert(stages), [
        {"id": s.id, "pipeline_id": pipeline.id, "account_id": account_id, "name": s.name, "position": n,
         "on_full_payment": s.on_full_payment, "on_cancel": s.on_cancel}
        for n, s in enumerate(pipeline.stages)
    ])
    return True


async def pipeline_row(
    conn: AsyncConnection, account_id: UUID, pipeline_id: UUID, *, for_update: bool = False
) -> Row[Any] | None:
    query = select(pipelines).where(pipelines.c.id == pipeline_id, pipelines.c.account_id == account_id)
    return (await conn.execute(query.with_for_update() if for_update else query)).first()


async def stages_of(conn: AsyncConnection, pipeline_id: UUID) -> Sequence[Row[Any]]:
    return (await conn.execute(
        select(stages).where(stages.c.pipeline_id == pipeline_id).order_by(stages.c.position)
    )).all()


async def add_pipeline(conn: AsyncConnection, account_id: UUID, pipeline_id: UUID, name: str) -> None:
    await conn.execute(insert(pipelines).values(id=pipeline_id, account_id=account_id, name=name))


async def rename_pipeline(conn: AsyncConnection, pipeline_id: UUID, name: str) -> None:
    await conn.execute(update(pipelines).where(pipelines.c.id == pipeline_id).values(name=name))


async def make_default(conn: AsyncConnection, account_id: UUID, pipeline_id: UUID) -> None:
    await conn.execute(update(pipelines).where(pipelines.c.account_id == account_id, pipelines.c.is_default)
                       .values(is_default=False))
    await conn.execute(update(pipelines).where(pipelines.c.id == pipeline_id).values(is_default=True))


async def orders_in_pipeline(conn: AsyncConnection, pipeline_id: UUID) -> int:
    return await conn.scalar(select(func.count()).select_from(orders).where(orders.c.pipeline_id == pipeline_id))


async def delete_pipeline(conn: AsyncConnection, pipeline_id: UUID) -> None:
    await conn.execute(delete(pipelines).where(pipelines.c.id == pipeline_id))  # its stages go with it


async def stages_holding_orders(conn: AsyncConnection, stage_ids: list[UUID]) -> set[UUID]:
    if not stage_ids:
        return set()
    return set((await conn.scalars(
        select(orders.c.stage_id).where(orders.c.stage_id.in_(stage_ids)).distinct()
    )).all())


async def replace_stages(
    conn: AsyncConnection, account_id: UUID, pipeline_id: UUID, wanted: list[dict[str, Any]], removed: list[UUID]
) -> None:
    """Stages in the wanted order, ids kept. Positions move out of the way first (they are unique)."""
    await conn.execute(update(stages).where(stages.c.pipeline_id == pipeline_id)
                       .values(position=-1 - stages.c.position))
    if removed:
        await conn.execute(delete(stages).where(stages.c.id.in_(removed)))
    for n, stage in enumerate(wanted):
        values = {"name": stage["name"], "position": n, "on_full_payment": stage["on_full_payment"],
                  "on_cancel": stage["on_cancel"]}
        if stage.get("existing"):
            await conn.execute(update(stages).where(stages.c.id == stage["id"]).values(**values))
        else:
            await conn.execute(insert(stages).values(id=stage["id"], pipeline_id=pipeline_id, account_id=account_id,
                                                     **values))


# --- contacts --------------------------------------------------------------------------------

async def contact_by_email(
    conn: AsyncConnection, account_id: UUID, email: str, *, for_update: bool = False
) -> Row[Any] | None:
    query = select(contacts).where(contacts.c.account_id == account_id, contacts.c.email_key == email.lower())
    return (await conn.execute(query.with_for_update() if for_update else query)).first()


_INSERT_CONTACT = """
    INSERT INTO contacts (id, account_id, name, email, email_key, phone, locale) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT DO NOTHING
    RETURNING id
"""


async def insert_contact(conn: AsyncConnection, account_id: UUID, contact: Contact) -> bool:
    """False, and nothing written, if the school already has a contact with this email (the email
    key is unique per school: a concurrent insert of it waits for the first, then writes nothing)."""
    return await (await driver_connection(conn)).fetchval(
        _INSERT_CONTACT, contact.id, account_id, contact.name, contact.email, contact.email.lower(), contact.phone,
        contact.locale) is not None


async def fill_contact(conn: AsyncConnection, contact_id: UUID, values: dict[str, Any]) -> None:
    await conn.execute(update(contacts).where(contacts.c.id == contact_id).values(updated_at=text("now()"), **values))


async def update_contact(conn: AsyncConnection, contact_id: UUID, values: dict[str, Any]) -> bool:
    """False if the new email belongs to another contact of the school."""
    if "email" in values:
        values = {**values, "email_key": values["email"].lower()}
    try:
        async with conn.begin_nested():
            await conn.execute(update(contacts).where(contacts.c.id == contact_id)
                               .values(updated_at=text("now()"), **values))
    except IntegrityError:
        return False
    return True


async def active_orders_of_contact(conn: AsyncConnection, contact_id: UUID) -> list[UUID]:
    return list((await conn.scalars(
        select(orders.c.id).where(orders.c.contact_id == contact_id, orders.c.status == "active")
        .order_by(orders.c.id).with_for_update()
    )).all())


# --- the school --------------------------------------------------------------------------------

async def school(conn: AsyncConnection, account_id: UUID) -> Row[Any] | None:
    return (await conn.execute(select(schools).where(schools.c.account_id == account_id))).first()


# What the school's profile lacks, as another service described it (every visit): never overwritten.
_FILL_SCHOOL = """
    INSERT INTO schools (account_id, name, locale) VALUES ($1, $2, $3)
    ON CONFLICT (account_id) DO UPDATE
    SET name = coalesce(schools.name, excluded.name), locale = coalesce(schools.locale, excluded.locale)
"""


async def fill_school(conn: AsyncConnection, account_id: UUID, name: str | None, locale: str | None) -> None:
    await (await driver_connection(conn)).execute(_FILL_SCHOOL, account_id, name, locale)


async def save_school(conn: AsyncConnection, account_id: UUID, *, overwrite: bool = True, **values: Any) -> None:
    statement = pg_insert(schools).values(account_id=account_id, **values)
    if overwrite:
        statement = statement.on_conflict_do_update(
            index_elements=[schools.c.account_id], set_={**values, "updated_at": text("now()")})
    else:
        statement = statement.on_conflict_do_update(
            index_elements=[schools.c.account_id],
            set_={k: func.coalesce(getattr(schools.c, k), getattr(statement.excluded, k)) for k in values})
    await conn.execute(statement)


# --- unpaid orders from offers ------------------------------------------------------------

async def claim_unpaid_past_expiry(
    conn: AsyncConnection, now: datetime, default_days: int, limit: int
) -> Sequence[Row[Any]]:
    """Unpaid orders from offer pages and widgets older than their school's period, locked;
    rows another worker holds are skipped, so replicas share the work."""
    days = func.coalesce(schools.c.unpaid_expiry_days, default_days)
    cutoff = now - func.make_interval(0, 0, 0, days)
    return (await conn.execute(
        select(orders.c.id, orders.c.account_id)
        .select_from(orders.outerjoin(schools, schools.c.account_id == orders.c.account_id))
        .where(orders.c.status == "active", orders.c.payment_status == "not_paid",
               orders.c.source.in_(("page", "widget")),
               orders.c.created_at < cutoff, (orders.c.reopened_at.is_(None) | (orders.c.reopened_at < cutoff)))
        .order_by(orders.c.created_at)
        .limit(limit)
        .with_for_update(of=orders, skip_locked=True)
    )).all()


async def lines_with_due_windows(conn: AsyncConnection, now: datetime, limit: int) -> Sequence[Row[Any]]:
    """Orders with a window that opened or ended by the clock since it was last announced."""
    return (await conn.execute(
        select(orders.c.id, orders.c.account_id)
        .where(orders.c.id.in_(
            select(order_lines.c.order_id).where(
                ((order_lines.c.window_status == "scheduled") & (order_lines.c.window_starts_at <= now))
                | (order_lines.c.window_status.in_(("scheduled", "open", "suspended"))
                   & (order_lines.c.window_ends_at <= now))
            )
        ))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )).all()


# --- the school's catalog, as offers announces it -----------------------------------------


async def save_catalog_product(conn: AsyncConnection, event: ProductUpdated) -> None:
    values = {"account_id": event.account_id, "title": event.title, "kind": event.kind,
              "modules": [m.model_dump(mode="json") for m in event.modules], "announced_at": event.occurred_at}
    if event.defaults is not None:  # an announcement from before the event carried them keeps what is known
        values["defaults"] = event.defaults.model_dump(mode="json")
    statement = pg_insert(catalog_products).values(product_id=event.product_id, **values)
    await conn.execute(statement.on_conflict_do_update(
        index_elements=[catalog_products.c.product_id], set_=values,
        where=catalog_products.c.announced_at < statement.excluded.announced_at,
    ))


async def catalog_product(conn: AsyncConnection, account_id: UUID, product_id: UUID) -> CatalogProduct | None:
    row = (await conn.execute(
        select(catalog_products.c.product_id, catalog_products.c.title, catalog_products.c.modules,
               catalog_products.c.defaults)
        .where(catalog_products.c.product_id == product_id, catalog_products.c.account_id == account_id)
    )).first()
    return None if row is None else _catalog_product(row)


async def catalog_products_of(conn: AsyncConnection, account_id: UUID,
                              product_ids: Iterable[UUID]) -> dict[UUID, CatalogProduct]:
    rows = await conn.execute(
        select(catalog_products.c.product_id, catalog_products.c.title, catalog_products.c.modules,
               catalog_products.c.defaults)
        .where(catalog_products.c.account_id == account_id, catalog_products.c.product_id.in_(set(product_ids)))
    )
    return {row.product_id: _catalog_product(row) for row in rows}


def _catalog_product(row: Any) -> CatalogProduct:
    return CatalogProduct(row.product_id, row.title, tuple(ModuleOutline.model_validate(m) for m in row.modules),
                          CourseDefaultsOutline.model_validate(row.defaults) if row.defaults is not None else None)
