"""SQL of the orders service."""

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.order import Order
from ..domain.pipeline import DEFAULT_PIPELINE_NAME, DEFAULT_STAGES
from .tables import (
    contacts, order_counters, order_history, order_lines, order_payments, orders, pipelines, stages,
)


_PLACEMENT = text("""
    SELECT (SELECT o.id FROM orders o WHERE o.checkout_id = :checkout_id) AS existing_order,
           p.id AS pipeline_id,
           (SELECT s.id FROM stages s WHERE s.pipeline_id = p.id ORDER BY s.position LIMIT 1) AS stage_id
    FROM (SELECT 1) AS one
    LEFT JOIN pipelines p ON p.account_id = :account_id AND p.is_default
""")


async def placement_for_checkout(
    conn: AsyncConnection, account_id: UUID, checkout_id: UUID
) -> tuple[UUID | None, UUID, UUID]:
    """In one round trip (this path runs for every visit): an order already made for this
    checkout, if any, and where a new order goes: the default pipeline and its first stage."""
    row = (await conn.execute(_PLACEMENT, {"checkout_id": checkout_id, "account_id": account_id})).one()
    if row.pipeline_id is None:
        return row.existing_order, *await default_pipeline(conn, account_id)
    return row.existing_order, row.pipeline_id, row.stage_id


async def default_pipeline(conn: AsyncConnection, account_id: UUID) -> tuple[UUID, UUID]:
    """The school's default pipeline and its first stage, created on first use."""
    found = (await conn.execute(
        select(pipelines.c.id).where(pipelines.c.account_id == account_id, pipelines.c.is_default)
    )).first()
    if found is None:
        pipeline_id = uuid4()
        created = await conn.execute(
            pg_insert(pipelines)
            .values(id=pipeline_id, account_id=account_id, name=DEFAULT_PIPELINE_NAME, is_default=True)
            .on_conflict_do_nothing()
            .returning(pipelines.c.id)
        )
        if created.first() is not None:
            await conn.execute(insert(stages), [
                {"id": uuid4(), "pipeline_id": pipeline_id, "account_id": account_id, "name": s.name,
                 "position": n, "on_full_payment": s.on_full_payment, "on_cancel": s.on_cancel}
                for n, s in enumerate(DEFAULT_STAGES)
            ])
        return await default_pipeline(conn, account_id)
    first_stage = await conn.scalar(
        select(stages.c.id).where(stages.c.pipeline_id == found.id).order_by(stages.c.position).limit(1)
    )
    return found.id, first_stage


async def full_payment_stage(conn: AsyncConnection, pipeline_id: UUID) -> UUID | None:
    return await conn.scalar(select(stages.c.id).where(stages.c.pipeline_id == pipeline_id, stages.c.on_full_payment))


async def upsert_contact(
    conn: AsyncConnection, account_id: UUID, *, name: str, email: str, phone: str | None, locale: str | None
) -> UUID:
    """One contact per email in a school; a repeated visit fills what was missing, never overwrites."""
    row = (await conn.execute(
        pg_insert(contacts)
        .values(id=uuid4(), account_id=account_id, name=name, email=email, email_key=email.lower(),
                phone=phone, locale=locale)
        .on_conflict_do_update(
            index_elements=[contacts.c.account_id, contacts.c.email_key],
            set_={
                "phone": text("coalesce(contacts.phone, excluded.phone)"),
                "locale": text("coalesce(contacts.locale, excluded.locale)"),
                "updated_at": text("now()"),
            },
        )
        .returning(contacts.c.id)
    )).one()
    return row.id


async def next_order_number(conn: AsyncConnection, account_id: UUID) -> int:
    # The row lock on the counter serialises numbering per school only.
    return (await conn.execute(
        pg_insert(order_counters)
        .values(account_id=account_id, last_number=1)
        .on_conflict_do_update(
            index_elements=[order_counters.c.account_id],
            set_={"last_number": order_counters.c.last_number + 1},
        )
        .returning(order_counters.c.last_number)
    )).scalar_one()


async def add_order(conn: AsyncConnection, values: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    await conn.execute(insert(orders).values(**values))
    if lines:
        await conn.execute(insert(order_lines), lines)


async def add_history(
    conn: AsyncConnection, order_id: UUID, account_id: UUID, actor: str, kind: str, details: dict[str, Any]
) -> None:
    await conn.execute(
        insert(order_history).values(order_id=order_id, account_id=account_id, actor=actor, kind=kind, details=details)
    )


async def load_for_payment(conn: AsyncConnection, order_id: UUID, account_id: UUID) -> tuple[Order, UUID] | None:
    """The order, locked for update, with the payments already counted; and its pipeline."""
    row = (await conn.execute(
        select(orders).where(orders.c.id == order_id, orders.c.account_id == account_id).with_for_update()
    )).first()
    if row is None:
        return None
    counted = set((await conn.scalars(select(order_payments.c.payment_id).where(order_payments.c.order_id == order_id))).all())
    order = Order(id=row.id, account_id=row.account_id, number=row.number, currency=row.currency, total=row.total,
                  paid=row.paid, stage_id=row.stage_id, version=row.version, counted_payments=counted)
    return order, row.pipeline_id


async def save_payment(
    conn: AsyncConnection, order: Order, payment_id: UUID, amount: Decimal, paid_at: datetime, *, fully_paid: bool
) -> None:
    await conn.execute(insert(order_payments).values(payment_id=payment_id, order_id=order.id, amount=amount, paid_at=paid_at))
    values: dict[str, Any] = {
        "paid": order.paid, "payment_status": order.status.value, "stage_id": order.stage_id,
        "version": order.version, "updated_at": text("now()"),
    }
    if fully_paid:
        values["paid_at"] = paid_at
    await conn.execute(update(orders).where(orders.c.id == order.id).values(**values))
