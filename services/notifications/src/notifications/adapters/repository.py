"""SQL of the notifications service."""

from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from contracts import CURRENCY_EXPONENTS
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.delivery import Outgoing, Rendered
from ..domain.letters import Letter
from ..domain.recipient import OrderRecipient
from .tables import deliveries, order_recipients

# The sender LISTENs here; a NOTIFY is delivered only when the transaction commits.
DELIVERIES_CHANNEL = "deliveries"


async def save_recipient(conn: AsyncConnection, order: OrderRecipient) -> None:
    values = {
        "account_id": order.account_id,
        "order_number": order.order_number,
        "school_name": order.school_name,
        "contact_name": order.contact_name,
        "contact_email": order.contact_email,
        "locale": order.locale,
        "currency": order.currency,
        "total": order.total,
        "products": list(order.products),
    }
    stmt = pg_insert(order_recipients).values(order_id=order.order_id, **values)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[order_recipients.c.order_id],
            set_=values,
            # An order id never moves to another account, whatever an event claims.
            where=order_recipients.c.account_id == stmt.excluded.account_id,
        )
    )


async def get_recipient(conn: AsyncConnection, order_id: UUID) -> OrderRecipient | None:
    row = (await conn.execute(select(order_recipients).where(order_recipients.c.order_id == order_id))).first()
    if row is None:
        return None
    return OrderRecipient(
        order_id=row.order_id,
        account_id=row.account_id,
        order_number=row.order_number,
        school_name=row.school_name,
        contact_name=row.contact_name,
        contact_email=row.contact_email,
        locale=row.locale,
        currency=row.currency,
        total=_money(row.total, row.currency),
        products=tuple(row.products),
    )


def _money(value: Decimal, currency: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-CURRENCY_EXPONENTS[currency]))


async def add_delivery(conn: AsyncConnection, letter: Letter, rendered: Rendered) -> bool:
    """Record the email to send; False if this event already produced it for this address."""
    stmt = (
        pg_insert(deliveries)
        .values(
            id=uuid4(),
            account_id=letter.account_id,
            order_id=letter.order_id,
            event_id=letter.event_id,
            template=letter.template,
            recipient=letter.to,
            locale=letter.locale,
            subject=rendered.subject,
            text_body=rendered.text,
            html_body=rendered.html,
        )
        .on_conflict_do_nothing(index_elements=["event_id", "template", "recipient"])
        .returning(deliveries.c.id)
    )
    return (await conn.execute(stmt)).first() is not None


async def wake_sender(conn: AsyncConnection) -> None:
    await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": DELIVERIES_CHANNEL})


async def claim_due(conn: AsyncConnection, limit: int, lease: timedelta) -> list[Outgoing]:
    """Take up to `limit` due deliveries for one try each.

    The try is counted and the row leased (pushed into the future) before anything is
    sent, so other senders skip it and a sender that dies mid-send gives it back only
    when the lease runs out.
    """
    due = (
        select(deliveries.c.id)
        .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= func.now())
        .order_by(deliveries.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = await conn.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(due.scalar_subquery()))
        .values(attempts=deliveries.c.attempts + 1, next_attempt_at=func.now() + lease)
        .returning(
            deliveries.c.id, deliveries.c.recipient, deliveries.c.subject,
            deliveries.c.text_body, deliveries.c.html_body, deliveries.c.attempts,
        )
    )
    return [Outgoing(r.id, r.recipient, r.subject, r.text_body, r.html_body, r.attempts) for r in rows]


async def mark_sent(conn: AsyncConnection, delivery_id: UUID) -> None:
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.status == "pending")
        .values(status="sent", sent_at=func.now())
    )


async def mark_failed_try(
    conn: AsyncConnection, delivery: Outgoing, *, error: str, status: str, retry_in: float | None
) -> None:
    values: dict[str, object] = {"status": status, "last_error": error[:2000]}
    if retry_in is not None:
        values["next_attempt_at"] = func.now() + timedelta(seconds=retry_in)
    await conn.execute(
        update(deliveries)
        # Only the try that claimed the row decides: a stale sender whose lease ran out does not.
        .where(
            deliveries.c.id == delivery.id,
            deliveries.c.status == "pending",
            deliveries.c.attempts == delivery.attempts,
        )
        .values(**values)
    )
