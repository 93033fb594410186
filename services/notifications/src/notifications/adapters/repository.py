"""SQL of the notifications service."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from contracts import CURRENCY_EXPONENTS, OrderCreated
from sqlalchemy import ARRAY, ColumnElement, Text, any_, bindparam, case, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import JSONB, insert as pg_insert
from servicekit.queues import LeasedQueue
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.delivery import Outgoing, Rendered
from ..domain.letters import Letter, Override
from ..domain.recipient import OrderRecipient, School
from .tables import (
    access_states, deliveries, held_confirmations, order_recipients, payment_links, schools, template_overrides,
)

# The sender LISTENs here: the deliveries table's trigger notifies it of each pending delivery
# inserted (migration 0013), delivered only when the transaction commits.
DELIVERIES_CHANNEL = "deliveries"


def _recipient_values(order: OrderRecipient) -> dict[str, Any]:
    return {
        "account_id": order.account_id,
        "order_number": order.order_number,
        "school_name": order.school_name,
        "contact_name": order.contact_name,
        "contact_email": order.contact_email,
        "locale": order.locale,
        "currency": order.currency,
        "total": order.total,
        "products": list(order.products),
        "contact_id": order.contact_id,
        "school_locale": order.school_locale,
        "order_version": order.order_version,
        "status": order.status,
    }


async def save_recipient(conn: AsyncConnection, order: OrderRecipient) -> None:
    """The order as created; a copy arriving after an update changes nothing."""
    values = _recipient_values(order)
    stmt = pg_insert(order_recipients).values(order_id=order.order_id, **values)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[order_recipients.c.order_id],
            set_=values,
            # An order id never moves to another account, whatever an event claims.
            where=(order_recipients.c.account_id == stmt.excluded.account_id)
            & (order_recipients.c.order_version == 0),
        )
    )


async def update_recipient(conn: AsyncConnection, order: OrderRecipient) -> bool:
    """The order as updated, unless a newer version is already here; whether it was applied."""
    result = await conn.execute(
        update(order_recipients)
        .where(
            order_recipients.c.order_id == order.order_id,
            order_recipients.c.account_id == order.account_id,
            order_recipients.c.order_version < order.order_version,
        )
        .values(**_recipient_values(order))
    )
    return bool(result.rowcount)


async def get_recipient(conn: AsyncConnection, order_id: UUID, *, hold: bool = False) -> OrderRecipient | None:
    """The order; with `hold`, its row stays shared-locked to the end of the transaction, so an
    OrderUpdated closing it waits for (and so sees) the email being recorded, or comes first."""
    query = select(order_recipients).where(order_recipients.c.order_id == order_id)
    if hold:
        query = query.with_for_update(read=True)
    row = (await conn.execute(query)).first()
    return None if row is None else _recipient(row)


# A school's own wordings, by (template, locale).
Overrides = dict[tuple[str, str], Override]

# The order with its school's current name, language, zone and address, and the school's own
# wordings of the templates asked for, in one statement. Built once: every email's event runs it
# (a statement built per call costs SQLAlchemy more than running it, docs/performance.md).
_WORDINGS = (
    select(func.jsonb_agg(func.jsonb_build_array(
        template_overrides.c.template, template_overrides.c.locale, template_overrides.c.subject,
        template_overrides.c.html, template_overrides.c.text,
    ), type_=JSONB))
    .where(template_overrides.c.account_id == order_recipients.c.account_id,
           template_overrides.c.template == any_(bindparam("templates", type_=ARRAY(Text))))
    .scalar_subquery()
)
_FOR_EMAIL = (
    select(order_recipients, schools.c.account_id.label("school_account_id"), schools.c.name.label("school_name_now"),
           schools.c.default_locale.label("school_default_locale"), schools.c.time_zone.label("school_time_zone"),
           schools.c.reply_to.label("school_reply_to"), _WORDINGS.label("wordings"))
    .select_from(order_recipients.outerjoin(schools, schools.c.account_id == order_recipients.c.account_id))
    .where(order_recipients.c.order_id == bindparam("order_id"))
)
_FOR_EMAIL_HELD = _FOR_EMAIL.with_for_update(read=True, of=order_recipients)


async def get_recipient_for_email(
    conn: AsyncConnection, order_id: UUID, templates: Sequence[str], *, hold: bool = False
) -> tuple[OrderRecipient, Overrides] | None:
    """The order as its school is now (OrderRecipient.at_school), and the school's own wordings of
    `templates`; `hold` as get_recipient's."""
    row = (await conn.execute(
        _FOR_EMAIL_HELD if hold else _FOR_EMAIL, {"order_id": order_id, "templates": list(templates)}
    )).first()
    if row is None:
        return None
    order = _recipient(row)
    if row.school_account_id is not None:
        order = order.at_school(School(row.school_account_id, row.school_name_now, row.school_default_locale,
                                       row.school_time_zone, row.school_reply_to))
    wordings = {(t, locale): Override(subject=subject, html=html, text=text)
                for t, locale, subject, html, text in row.wordings or ()}
    return order, wordings


def _recipient(row: Any) -> OrderRecipient:
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
        contact_id=row.contact_id,
        school_locale=row.school_locale,
        order_version=row.order_version,
        status=row.status,
    )


async def save_school(conn: AsyncConnection, school: School, occurred_at: datetime) -> None:
    values = {"name": school.name, "default_locale": school.default_locale, "time_zone": school.time_zone,
              "reply_to": school.reply_to, "occurred_at": occurred_at}
    stmt = pg_insert(schools).values(account_id=school.account_id, **values)
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=[schools.c.account_id], set_=values,
        where=schools.c.occurred_at <= stmt.excluded.occurred_at,
    ))


async def get_school(conn: AsyncConnection, account_id: UUID) -> School | None:
    row = (await conn.execute(select(schools).where(schools.c.account_id == account_id))).first()
    return None if row is None else School(row.account_id, row.name, row.default_locale, row.time_zone, row.reply_to)


@dataclass(frozen=True)
class AccessState:
    status: str
    occurred_at: datetime


_GET_ACCESS_STATE = (
    select(access_states.c.status, access_states.c.occurred_at)
    .where(access_states.c.order_id == bindparam("order_id"), access_states.c.line_id == bindparam("line_id"))
    .with_for_update()
)
_access_row = pg_insert(access_states).values(
    {name: bindparam(name) for name in ("order_id", "line_id", "status", "occurred_at")}
)
_SAVE_ACCESS_STATE = _access_row.on_conflict_do_update(
    constraint="access_states_pkey",
    set_={"status": _access_row.excluded.status, "occurred_at": _access_row.excluded.occurred_at},
    where=access_states.c.occurred_at <= _access_row.excluded.occurred_at,
)


async def get_access_state(conn: AsyncConnection, order_id: UUID, line_id: UUID) -> AccessState | None:
    row = (await conn.execute(_GET_ACCESS_STATE, {"order_id": order_id, "line_id": line_id})).first()
    return None if row is None else AccessState(row.status, row.occurred_at)


async def save_access_state(conn: AsyncConnection, order_id: UUID, line_id: UUID, state: AccessState) -> None:
    await conn.execute(_SAVE_ACCESS_STATE, {
        "order_id": order_id, "line_id": line_id, "status": state.status, "occurred_at": state.occurred_at,
    })


_link_row = pg_insert(payment_links).values(
    {name: bindparam(name) for name in ("payment_id", "account_id", "order_id", "url", "occurred_at")}
)
_SAVE_PAYMENT_LINK = _link_row.on_conflict_do_update(
    index_elements=[payment_links.c.payment_id],
    set_={name: _link_row.excluded[name] for name in ("account_id", "order_id", "url", "occurred_at")},
    # A payment id never moves to another account or order, whatever an event claims.
    where=(payment_links.c.occurred_at <= _link_row.excluded.occurred_at)
    & (payment_links.c.account_id == _link_row.excluded.account_id)
    & (payment_links.c.order_id == _link_row.excluded.order_id),
)


async def save_payment_link(
    conn: AsyncConnection, account_id: UUID, order_id: UUID, payment_id: UUID, url: str, occurred_at: datetime
) -> None:
    """The payment's link, unless a newer one is known already."""
    await conn.execute(_SAVE_PAYMENT_LINK, {
        "payment_id": payment_id, "account_id": account_id, "order_id": order_id, "url": url,
        "occurred_at": occurred_at,
    })


async def get_payment_link(conn: AsyncConnection, account_id: UUID, order_id: UUID, payment_id: UUID) -> str | None:
    return await conn.scalar(select(payment_links.c.url).where(
        payment_links.c.payment_id == payment_id, payment_links.c.account_id == account_id,
        payment_links.c.order_id == order_id,
    ))


def _money(value: Decimal, currency: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-CURRENCY_EXPONENTS[currency]))


_DELIVERY_VALUES = (
    "id", "account_id", "order_id", "contact_id", "event_id", "correlation_id", "template", "recipient", "locale",
    "subject", "text_body", "html_body", "sender_name", "reply_to", "status", "cancel_reason",
)
_ADD_DELIVERY = (
    pg_insert(deliveries)
    .values({name: bindparam(name) for name in _DELIVERY_VALUES})
    .on_conflict_do_nothing(index_elements=["event_id", "template", "recipient"])
    .returning(deliveries.c.id)
)


async def add_delivery(
    conn: AsyncConnection, letter: Letter, rendered: Rendered, *, cancel_reason: str | None = None
) -> UUID | None:
    """Record the email to send (or, with a reason, as cancelled: never to be sent); None if this
    event already produced it for this address."""
    return (await conn.execute(_ADD_DELIVERY, {
        "id": uuid4(),
        "account_id": letter.account_id,
        "order_id": letter.order_id,
        "contact_id": letter.contact_id,
        "event_id": letter.event_id,
        "correlation_id": letter.correlation_id,
        "template": letter.template,
        "recipient": letter.to,
        "locale": letter.locale,
        "subject": rendered.subject,
        "text_body": rendered.text,
        "html_body": rendered.html,
        "sender_name": letter.school_name,
        "reply_to": letter.reply_to,
        "status": "cancelled" if cancel_reason else "pending",
        "cancel_reason": cancel_reason,
    })).scalar()


async def cancel_unsent(conn: AsyncConnection, account_id: UUID, order_id: UUID, templates: tuple[str, ...],
                        reason: str) -> int:
    """Cancel the order's emails of these kinds that have not gone out; how many."""
    result = await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.account_id == account_id, deliveries.c.order_id == order_id,
            deliveries.c.template.in_(templates), deliveries.c.status == "pending",
        )
        .values(status="cancelled", cancel_reason=reason)
    )
    return result.rowcount


async def get_delivery(conn: AsyncConnection, account_id: UUID, delivery_id: UUID) -> Any | None:
    """The account's delivery (every column), or None."""
    return (await conn.execute(
        select(deliveries).where(deliveries.c.account_id == account_id, deliveries.c.id == delivery_id)
    )).first()


async def add_resend(conn: AsyncConnection, row: Any, correlation_id: UUID) -> UUID:
    """A new delivery repeating the rendered message of `row` (from get_delivery)."""
    new_id = uuid4()
    # No event caused it: a fresh event id keeps it apart from every other delivery of `row`'s.
    await conn.execute(pg_insert(deliveries).values(
        id=new_id, account_id=row.account_id, order_id=row.order_id, contact_id=row.contact_id,
        event_id=uuid4(), correlation_id=correlation_id, template=row.template, recipient=row.recipient,
        locale=row.locale, subject=row.subject, text_body=row.text_body, html_body=row.html_body,
        sender_name=row.sender_name, reply_to=row.reply_to, resend_of=row.id,
    ))
    return new_id


# The deliveries due to be tried, each leased to one sender at a time (its try numbered by attempts).
DELIVERY_QUEUE = LeasedQueue(deliveries, (deliveries.c.id,), deliveries.c.next_attempt_at, deliveries.c.attempts)


async def claim_due(
    conn: AsyncConnection, limit: int, lease: timedelta, *, retry_unconfirmed: bool = False
) -> list[Outgoing]:
    """Take up to `limit` due deliveries for one try each.

    The try is counted and the row leased (pushed into the future) before anything is
    sent, so other senders skip it; its number (`attempts`) fences every later write of
    this try. A delivery a try handed over without seeing the answer is taken again only
    with `retry_unconfirmed` (the server drops repeats); otherwise settle_unconfirmed decides it.
    """
    where = [deliveries.c.status == "pending"]
    if not retry_unconfirmed:
        where.append(deliveries.c.handed_over_at.is_(None))
    rows = await conn.execute(DELIVERY_QUEUE.claim(
        limit=limit, lease=lease, where=where, values={deliveries.c.handed_over_at: None},
        returning=(deliveries.c.id, deliveries.c.recipient, deliveries.c.subject, deliveries.c.text_body,
                   deliveries.c.html_body, deliveries.c.attempts, deliveries.c.sender_name, deliveries.c.reply_to),
    ))
    return [Outgoing(r.id, r.recipient, r.subject, r.text_body, r.html_body, r.attempts, r.sender_name, r.reply_to)
            for r in rows]


# A try's outcome is still open: not decided yet, or cancelled (the order closed) while the try was
# already handing the message over, when the server's answer still says whether it went out.
_OPEN = (deliveries.c.status == "pending") | (
    (deliveries.c.status == "cancelled") & deliveries.c.handed_over_at.is_not(None)
)


def _this_try(delivery: Outgoing) -> ColumnElement[bool]:
    """The row is still the one this try claimed: nobody claimed it since, and it is still open."""
    return (deliveries.c.id == delivery.id) & (deliveries.c.attempts == delivery.attempts) & _OPEN


async def renew_leases(conn: AsyncConnection, held: list[tuple[UUID, int]], lease: timedelta) -> int:
    """Push the lease of the (id, attempts) tries still in progress; how many were still theirs."""
    if not held:
        return 0
    result = await conn.execute(DELIVERY_QUEUE.renew(held, lease, where=[_OPEN]))
    return result.rowcount


async def hand_over(conn: AsyncConnection, tries: list[Outgoing], lease: timedelta) -> set[UUID]:
    """Record that these tries are handing their messages over; the ids of those that may (the
    others' order closed and cancelled them, or their lease ran out and another try took them)."""
    rows = await conn.execute(
        update(deliveries)
        .where(
            tuple_(deliveries.c.id, deliveries.c.attempts).in_([(t.id, t.attempts) for t in tries]),
            deliveries.c.status == "pending", deliveries.c.handed_over_at.is_(None),
        )
        .values(handed_over_at=func.now(), next_attempt_at=func.now() + lease)
        .returning(deliveries.c.id)
    )
    return {r.id for r in rows}


async def withdraw_handover(conn: AsyncConnection, tries: list[Outgoing]) -> None:
    """These tries recorded a handover and then never wrote the end of their message."""
    await conn.execute(
        update(deliveries)
        .where(tuple_(deliveries.c.id, deliveries.c.attempts).in_([(t.id, t.attempts) for t in tries]), _OPEN)
        .values(handed_over_at=None)
    )


_OUTCOME = (
    deliveries.c.id, deliveries.c.account_id, deliveries.c.order_id, deliveries.c.event_id,
    deliveries.c.correlation_id, deliveries.c.template, deliveries.c.recipient, deliveries.c.locale,
    deliveries.c.subject, deliveries.c.attempts, deliveries.c.last_error, deliveries.c.sent_at,
    deliveries.c.status, func.now().label("now"),
)


async def mark_sent(
    conn: AsyncConnection, delivery: Outgoing, *, unconfirmed: str | None = None, cancelled_only: bool = False
) -> Any | None:
    """The delivery as sent (with `unconfirmed`, as handed over without the server's answer seen);
    None if this try no longer decides (or, with `cancelled_only`, if it is not cancelled).

    A delivery cancelled while this very try was handing it over went out all the same: the log
    says so rather than claim it never did.
    """
    # An earlier try's error no longer describes the delivery: the log would show a sent email as failing.
    values: dict[str, Any] = {"status": "sent", "sent_at": func.now(), "cancel_reason": None, "last_error": None}
    if unconfirmed is not None:
        values.update(sent_at=deliveries.c.handed_over_at, last_error=unconfirmed)
    query = update(deliveries).where(_this_try(delivery))
    if cancelled_only:
        query = query.where(deliveries.c.status == "cancelled")
    return (await conn.execute(query.values(**values).returning(*_OUTCOME))).first()


async def mark_sent_many(conn: AsyncConnection, tries: Sequence[Outgoing]) -> list[Any]:
    """Each of these tries' deliveries as sent, in one statement; the rows of those the try still
    decided (as mark_sent, for many at once)."""
    if not tries:
        return []
    return list(await conn.execute(
        update(deliveries)
        .where(tuple_(deliveries.c.id, deliveries.c.attempts).in_([(t.id, t.attempts) for t in tries]), _OPEN)
        # An earlier try's error no longer describes the delivery: the log would show a sent email as failing.
        .values(status="sent", sent_at=func.now(), cancel_reason=None, last_error=None)
        .returning(*_OUTCOME)
    ))


async def settle_unconfirmed(conn: AsyncConnection, limit: int, note: str, *, pending_too: bool) -> list[Any]:
    """Deliveries whose try handed the message over and then stopped renewing its lease (its sender
    died between the end of the data and the mark): counted as sent, with `note`.

    Those cancelled meanwhile always; the pending ones only with `pending_too` (otherwise they are
    claimed and sent again, to a server that drops repeats).
    """
    stale = (
        select(deliveries.c.id)
        .where(_OPEN, deliveries.c.handed_over_at.is_not(None), deliveries.c.next_attempt_at <= func.now())
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if not pending_too:
        stale = stale.where(deliveries.c.status == "cancelled")
    return list(await conn.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(stale.scalar_subquery()))
        .values(status="sent", sent_at=deliveries.c.handed_over_at, last_error=note, cancel_reason=None)
        .returning(*_OUTCOME)
    ))


async def mark_failed_try(
    conn: AsyncConnection, delivery: Outgoing, *, error: str, status: str, retry_in: float | None,
    refused: bool = False,
) -> Any | None:
    """The delivery after a failed try (the server refused, or never got the end of the message);
    None if this try no longer decides. A cancelled delivery stays cancelled and is not retried."""
    cancelled = deliveries.c.status == "cancelled"
    values: dict[str, object] = {
        "status": case((cancelled, "cancelled"), else_=status),
        "refused": case((cancelled, deliveries.c.refused), else_=refused),
        "last_error": error[:2000], "handed_over_at": None,
    }
    if retry_in is not None:
        values["next_attempt_at"] = func.now() + timedelta(seconds=retry_in)
    return (await conn.execute(
        # Only the try that claimed the row decides: a stale sender whose lease ran out does not.
        update(deliveries).where(_this_try(delivery)).values(**values).returning(*_OUTCOME)
    )).first()


_GET_OVERRIDE = select(template_overrides.c.subject, template_overrides.c.html, template_overrides.c.text).where(
    template_overrides.c.account_id == bindparam("account_id"), template_overrides.c.template == bindparam("template"),
    template_overrides.c.locale == bindparam("locale"),
)


async def get_override(conn: AsyncConnection, account_id: UUID, template: str, locale: str) -> Override | None:
    row = (await conn.execute(
        _GET_OVERRIDE, {"account_id": account_id, "template": template, "locale": locale}
    )).first()
    return None if row is None else Override(subject=row.subject, html=row.html, text=row.text)


async def put_override(conn: AsyncConnection, account_id: UUID, template: str, locale: str, override: Override) -> None:
    values = {"subject": override.subject, "html": override.html, "text": override.text, "updated_at": func.now()}
    stmt = pg_insert(template_overrides).values(account_id=account_id, template=template, locale=locale, **values)
    await conn.execute(stmt.on_conflict_do_update(constraint="template_overrides_pkey", set_=values))


async def delete_override(conn: AsyncConnection, account_id: UUID, template: str, locale: str) -> bool:
    result = await conn.execute(delete(template_overrides).where(
        template_overrides.c.account_id == account_id, template_overrides.c.template == template,
        template_overrides.c.locale == locale,
    ).returning(template_overrides.c.locale))
    return result.first() is not None


async def overridden(conn: AsyncConnection, account_id: UUID) -> list[Any]:
    return list(await conn.execute(
        select(template_overrides.c.template, template_overrides.c.locale, template_overrides.c.updated_at)
        .where(template_overrides.c.account_id == account_id)
        .order_by(template_overrides.c.template, template_overrides.c.locale)
    ))


async def hold_confirmation(conn: AsyncConnection, event: OrderCreated) -> None:
    await conn.execute(pg_insert(held_confirmations).values(
        order_id=event.order_id, event=json.loads(event.model_dump_json()),
    ).on_conflict_do_nothing(index_elements=[held_confirmations.c.order_id]))


_TAKE_HELD = (
    delete(held_confirmations).where(held_confirmations.c.order_id == bindparam("order_id"))
    .returning(held_confirmations.c.event)
)


async def take_held_confirmation(conn: AsyncConnection, order_id: UUID) -> OrderCreated | None:
    """The order's confirmation that waited for its link, now taken (it goes out with the link)."""
    found = await conn.scalar(_TAKE_HELD, {"order_id": order_id})
    return None if found is None else OrderCreated.model_validate(found)
