"""What the use cases not yet on the order aggregate share: the facts they announce from the order's rows.

Who acts and the errors they raise are the domain's (domain.actor, domain.order), named here as before."""

from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any
from uuid import UUID

from contracts import AccessChanged, AccessTerms, ContactData, OrderLine, OrderUpdated, quantize, utcnow
from pydantic_core import to_jsonable_python
from servicekit.outbox import add_to_outbox
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters import repository as repo
from ..adapters.tables import outbox
from ..domain.access import AccessWindow, order_window
# Who acts and the use cases' errors, still imported from here by the use cases on the rows.
from ..domain.actor import SYSTEM, Actor  # noqa: F401
from ..domain.order import Discount, StaleVersion, Unchanged  # noqa: F401
from ..domain.zones import zone_named

DEFAULT_SCHOOL_NAME = "Online school"


class NotFound(Exception):
    pass


def discount_given(given: Any) -> Discount:
    """The request's discount (a bare amount, or an object with its kind) in the domain's terms."""
    if isinstance(given, Decimal):
        return Discount("amount", given)
    return Discount(given.kind, given.value)


def plain(value: Any) -> Any:
    return to_jsonable_python(value)


async def history(conn: AsyncConnection, actor: Actor, order_id: UUID, kind: str, details: dict[str, Any]) -> None:
    await repo.add_history(conn, order_id, actor.account_id, actor.user, kind, plain(details))


async def announce_update(conn: AsyncConnection, actor: Actor, order_id: UUID, changed: list[str]) -> None:
    """OrderUpdated with the order as it now is, in the transaction that changed it."""
    order = await repo.lock_order(conn, actor.account_id, order_id)
    assert order is not None
    contact = await repo.contact_row(conn, actor.account_id, order.contact_id)
    assert contact is not None
    lines = await repo.lines_of(conn, order_id)
    await add_to_outbox(conn, outbox, actor.event(
        OrderUpdated,
        order_id=order.id, order_number=order.number, order_version=order.version, status=order.status,
        contact_id=contact.id,
        contact=ContactData(name=contact.name, email=contact.email, phone=contact.phone, locale=contact.locale),
        currency=order.currency,
        lines=[OrderLine(line_id=line.id, product_id=line.product_id, product_title=line.product_title,
                         price=quantize(line.price, order.currency), offer_id=line.offer_id,
                         access=AccessTerms.model_validate(line.access))
               for line in lines],
        discount=quantize(order.discount, order.currency), total=quantize(order.total, order.currency),
        changed=sorted(set(changed)),
    ))


def window_of(order: Any, terms: AccessTerms, now: datetime) -> AccessWindow | None:
    return order_window(terms, first_paid_at=order.first_paid_at, held=bool(order.access_holds),
                        order_status=order.status, payment_status=order.payment_status, now=now)


def overdue_of(order: Any, hold: UUID | None) -> dict[str, Any]:
    """The overdue payment holding access, as its PaymentOverdue described it (if it did)."""
    if hold is None:
        return {}
    said = (order.overdue_holds or {}).get(str(hold)) or {}
    if "amount" not in said:
        return {"overdue_payment_id": hold}
    currency = said.get("currency") or order.currency
    return {"overdue_payment_id": hold, "overdue_amount": quantize(Decimal(said["amount"]), currency),
            "currency": currency}


async def refresh_access(
    conn: AsyncConnection, actor: Actor, order_id: UUID, reason: str | None, *, now: datetime | None = None
) -> int:
    """Recompute every line's window; AccessChanged for each one that opened, moved or changed state.
    Without a reason, the clock moved it: it opened (as paid for) or ended."""
    now = now or utcnow()
    order = await repo.lock_order(conn, actor.account_id, order_id)
    assert order is not None
    events = []
    for line in await repo.lines_of(conn, order_id):
        terms = AccessTerms.model_validate(line.access)
        window = window_of(order, terms, now)
        before = (AccessWindow(line.window_status, line.window_starts_at, line.window_ends_at)
                  if line.window_status else None)
        if window is None:
            continue
        # While suspended, the contact is told which payment to make; another one holding it is news too.
        hold = order.access_holds[0] if window.status == "suspended" else None
        if window == before and hold == line.window_hold:
            continue
        await repo.save_window(conn, line.id, window.status, window.starts_at, window.ends_at, hold)
        why = reason or ("expired" if window.status == "ended" else "paid")
        if window.status == "suspended" and why == "resumed":
            why = "overdue"  # one overdue payment was settled, another still holds access closed
        events.append(actor.event(
            AccessChanged, order_id=order.id, line_id=line.id, product_id=line.product_id,
            product_title=line.product_title, contact_id=order.contact_id, status=window.status,
            starts_at=window.starts_at, ends_at=window.ends_at, terms=terms, reason=why,
            **overdue_of(order, hold),
        ))
    await add_to_outbox(conn, outbox, *events)
    return len(events)


async def school_zone(conn: AsyncConnection, account_id: UUID, default: tzinfo) -> tzinfo:
    """The zone the school's dates are typed in: its own, else the deployment's (domain.zones)."""
    school = await repo.school(conn, account_id)
    return zone_named(school.time_zone if school else None, default)

