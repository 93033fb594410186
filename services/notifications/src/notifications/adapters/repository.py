"""SQL of the notifications service."""

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from contracts import CURRENCY_EXPONENTS, OrderCreated
from sqlalchemy import ColumnElement, bindparam, case, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from servicekit.db import driver_connection
from servicekit.queues import LeasedQueue
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.delivery import Outgoing, Rendered
from ..domain.letters import Letter, Override, Overrides
from ..domain.recipient import AccessState, OrderRecipient, PaymentLink, School
from .tables import deliveries, schools, template_overrides

# The sender LISTENs here: the deliveries table's trigger notifies it of each pending delivery
# inserted (migration 0013), delivered only when the transaction commits.
DELIVERIES_CHANNEL = "deliveries"


# The statements every message of a purchase sends go straight to asyncpg (servicekit.db.driver_connection):
# SQLAlchemy's execution path costs the service more than the statement itself (docs/performance.md).
# Each is a constant, prepared once per connection; a jsonb parameter is its JSON text.

_SAVE_RECIPIENT = """
INSERT INTO order_recipients (order_id, account_id, order_number, school_name, contact_name, contact_email, locale,
                              currency, total, products, contact_id, school_locale, order_version, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14)
ON CONFLICT (order_id) DO UPDATE SET
    account_id = excluded.account_id, order_number = excluded.order_number, school_name = excluded.school_name,
    contact_name = excluded.contact_name, contact_email = excluded.contact_email, locale = excluded.locale,
    currency = excluded.currency, total = excluded.total, products = excluded.products,
    contact_id = excluded.contact_id, school_locale = excluded.school_locale,
    order_version = excluded.order_version, status = excluded.status
-- An order id never moves to another account, whatever an event claims.
WHERE order_recipients.account_id = excluded.account_id AND order_recipients.order_version = 0
"""


async def save_recipient(conn: AsyncConnection, order: OrderRecipient) -> None:
    """The order as created; a copy arriving after an update changes nothing."""
    await (await driver_connection(conn)).execute(_SAVE_RECIPIENT, *_recipient_args(order))


def _recipient_args(order: OrderRecipient) -> tuple[Any, ...]:
    return (
        order.order_id, order.account_id, order.order_number, order.school_name, order.contact_name,
        order.contact_email, order.locale, order.currency, order.total, json.dumps(list(order.products)),
        order.contact_id, order.school_locale, order.order_version, order.status,
    )


# A manual order confirmed at once: the order saved as save_recipient does, and its school and the
# school's wordings of the templates ($15) read, in one statement (the save is not visible to the
# read, which needs nothing of it).
_SAVE_RECIPIENT_FOR_EMAIL = "WITH saved AS (" + _SAVE_RECIPIENT + """)
SELECT s.account_id, s.name, s.default_locale, s.time_zone, s.reply_to,
       (SELECT jsonb_agg(jsonb_build_array(o.template, o.locale, o.subject, o.html, o.text))
        FROM template_overrides o WHERE o.account_id = $2 AND o.template = ANY($15::text[])) AS wordings
FROM (VALUES (1)) AS one (x) LEFT OUTER JOIN schools s ON s.account_id = $2
"""


async def save_recipient_for_email(
    conn: AsyncConnection, order: OrderRecipient, templates: Sequence[str]
) -> tuple[School | None, Overrides]:
    """save_recipient, and in the same statement the order's school and its wordings of `templates`."""
    row = await (await driver_connection(conn)).fetchrow(
        _SAVE_RECIPIENT_FOR_EMAIL, *_recipient_args(order), list(templates)
    )
    assert row is not None  # the read of one row, whatever the save did
    school = None if row["account_id"] is None else School(*list(row.values())[:5])
    return school, _wordings(row)


_UPDATE_RECIPIENT = """
UPDATE order_recipients SET
    order_number = $3, contact_name = $4, contact_email = $5, locale = $6, currency = $7, total = $8,
    products = $9::jsonb, contact_id = $10, order_version = $11, status = $12
WHERE order_id = $1 AND account_id = $2 AND order_version < $11
RETURNING status
"""


async def update_recipient(
    conn: AsyncConnection, order_id: UUID, account_id: UUID, changes: dict[str, Any]
) -> str | None:
    """The account's order with `changes` (recipient.changed_by), unless it is not here, is another
    account's or a newer version is here already; its status if they were applied."""
    return await (await driver_connection(conn)).fetchval(
        _UPDATE_RECIPIENT, order_id, account_id, changes["order_number"], changes["contact_name"],
        changes["contact_email"], changes["locale"], changes["currency"], changes["total"],
        json.dumps(list(changes["products"])), changes["contact_id"], changes["order_version"], changes["status"],
    )


_GET_RECIPIENT = "SELECT * FROM order_recipients WHERE order_id = $1"


async def get_recipient(conn: AsyncConnection, order_id: UUID) -> OrderRecipient | None:
    row = await (await driver_connection(conn)).fetchrow(_GET_RECIPIENT, order_id)
    return None if row is None else _recipient(row)


# The order with its school's current name, language, zone and address, and the school's own
# wordings of the templates asked for, in one statement; every email's event runs it.
_FOR_EMAIL_COLUMNS = """
SELECT r.*, s.account_id AS school_account_id, s.name AS school_name_now, s.default_locale AS school_default_locale,
       s.time_zone AS school_time_zone, s.reply_to AS school_reply_to,
       (SELECT jsonb_agg(jsonb_build_array(o.template, o.locale, o.subject, o.html, o.text))
        FROM template_overrides o WHERE o.account_id = r.account_id AND o.template = ANY($2::text[])) AS wordings"""
_FOR_EMAIL_FROM = """
FROM order_recipients r LEFT OUTER JOIN schools s ON s.account_id = r.account_id
WHERE r.order_id = $1"""
# `hold`: the order's row stays shared-locked to the end of the transaction, so an OrderUpdated
# closing it waits for (and so sees) the email being recorded, or comes first.
_HELD = "\nFOR SHARE OF r"
_KNOWN_ORDER = "EXISTS (SELECT FROM order_recipients WHERE order_id = $1)"
# The order's confirmation that waited for its link (hold_confirmation), taken.
_TAKE_HELD = f"held AS (DELETE FROM held_confirmations WHERE order_id = $1 AND {_KNOWN_ORDER} RETURNING event)"
# The payment's link ($3 payment, $4 account, $5 address, $6 when), as save_payment_link stores it, with the
# order's read: PaymentLinkIssued and ReminderRequested send no statement of their own for it.
# How a payment's link is kept: unless a newer one is known. A payment id never moves to another
# account or order, whatever an event claims.
_LINK_UPSERT = """
ON CONFLICT (payment_id) DO UPDATE SET
    account_id = excluded.account_id, order_id = excluded.order_id, url = excluded.url,
    occurred_at = excluded.occurred_at
WHERE payment_links.occurred_at <= excluded.occurred_at AND payment_links.account_id = excluded.account_id
  AND payment_links.order_id = excluded.order_id"""
_SAVE_LINK = f"""link AS (
    INSERT INTO payment_links (payment_id, account_id, order_id, url, occurred_at)
    SELECT $3::uuid, $4::uuid, $1::uuid, $5::text, $6::timestamptz WHERE {_KNOWN_ORDER}{_LINK_UPSERT}
)"""


def _for_email_statement(*, hold: bool, take_held: bool, save_link: bool) -> str:
    ctes = [cte for cte, wanted in ((_TAKE_HELD, take_held), (_SAVE_LINK, save_link)) if wanted]
    return (("WITH " + ", ".join(ctes) + "\n" if ctes else "") + _FOR_EMAIL_COLUMNS
            + (", (SELECT event FROM held) AS held" if take_held else "") + _FOR_EMAIL_FROM + (_HELD if hold else ""))


# Each (hold, take_held, save_link) that a use case asks for, made once.
_FOR_EMAIL = {(hold, take, link): _for_email_statement(hold=hold, take_held=take, save_link=link)
              for hold in (False, True) for take in (False, True) for link in (False, True) if hold or not take}


def _link_args(link: PaymentLink | None) -> tuple[Any, ...]:
    return () if link is None else (link.payment_id, link.account_id, link.url, link.occurred_at)


async def get_recipient_for_email(
    conn: AsyncConnection, order_id: UUID, templates: Sequence[str], *, hold: bool = False,
    link: PaymentLink | None = None,
) -> tuple[OrderRecipient, Overrides] | None:
    """The order as its school is now (OrderRecipient.at_school), and the school's own wordings of
    `templates`; with `hold`, the order's row shared-locked to the end of the transaction; with
    `link`, that payment's link stored as save_payment_link does, in the same statement. None (and
    nothing stored) if the order is not here."""
    row = await (await driver_connection(conn)).fetchrow(
        _FOR_EMAIL[hold, False, link is not None], order_id, list(templates), *_link_args(link)
    )
    return None if row is None else _for_email(row)


async def take_recipient_for_email(
    conn: AsyncConnection, order_id: UUID, templates: Sequence[str], *, link: PaymentLink | None = None
) -> tuple[OrderRecipient, Overrides, OrderCreated | None] | None:
    """As get_recipient_for_email with `hold`, and the order's confirmation that waited for its link,
    now taken (it goes out with the link), in the same statement. None (and nothing taken or
    stored) if the order is not here."""
    row = await (await driver_connection(conn)).fetchrow(
        _FOR_EMAIL[True, True, link is not None], order_id, list(templates), *_link_args(link)
    )
    if row is None:
        return None
    order, wordings = _for_email(row)
    held = row["held"]
    return order, wordings, None if held is None else OrderCreated.model_validate(held)


# An access change's email: the order as for_email reads it, the line's access state as it was
# (locked), the new one stored unless a newer one is known, and the link of the overdue payment
# ($7, if any), in one statement.
_FOR_ACCESS_CHANGE = f"""
WITH known AS (
    SELECT status, occurred_at FROM access_states WHERE order_id = $1 AND line_id = $3 FOR UPDATE
), saved AS (
    INSERT INTO access_states (order_id, line_id, status, occurred_at)
    SELECT $1::uuid, $3::uuid, $4::text, $5::timestamptz WHERE {_KNOWN_ORDER}
    ON CONFLICT ON CONSTRAINT access_states_pkey DO UPDATE
        SET status = excluded.status, occurred_at = excluded.occurred_at
        WHERE access_states.occurred_at <= excluded.occurred_at
)""" + _FOR_EMAIL_COLUMNS + """,
       (SELECT status FROM known) AS known_status, (SELECT occurred_at FROM known) AS known_at,
       (SELECT url FROM payment_links WHERE payment_id = $7::uuid AND account_id = $6::uuid AND order_id = $1)
           AS overdue_link""" + _FOR_EMAIL_FROM


async def get_recipient_for_access_change(
    conn: AsyncConnection, order_id: UUID, account_id: UUID, templates: Sequence[str], line_id: UUID,
    state: AccessState, overdue_payment_id: UUID | None,
) -> tuple[OrderRecipient, Overrides, AccessState | None, str | None] | None:
    """As get_recipient_for_email, with swap_access_state of the line and get_payment_link of the
    overdue payment in the same statement: the order, its wordings, the line's state known before
    (the line stays locked to the end of the transaction) and the overdue payment's link. None
    (and nothing stored) if the order is not here."""
    row = await (await driver_connection(conn)).fetchrow(
        _FOR_ACCESS_CHANGE, order_id, list(templates), line_id, state.status, state.occurred_at, account_id,
        overdue_payment_id,
    )
    if row is None:
        return None
    order, wordings = _for_email(row)
    known = None if row["known_status"] is None else AccessState(row["known_status"], row["known_at"])
    return order, wordings, known, row["overdue_link"]


def _for_email(row: Any) -> tuple[OrderRecipient, Overrides]:
    order = _recipient(row)
    if row["school_account_id"] is not None:
        order = order.at_school(School(row["school_account_id"], row["school_name_now"], row["school_default_locale"],
                                       row["school_time_zone"], row["school_reply_to"]))
    return order, _wordings(row)


def _wordings(row: Any) -> Overrides:
    return {(t, locale): Override(subject=subject, html=html, text=text)
            for t, locale, subject, html, text in row["wordings"] or ()}


def _recipient(row: Any) -> OrderRecipient:
    return OrderRecipient(
        order_id=row["order_id"],
        account_id=row["account_id"],
        order_number=row["order_number"],
        school_name=row["school_name"],
        contact_name=row["contact_name"],
        contact_email=row["contact_email"],
        locale=row["locale"],
        currency=row["currency"],
        total=_money(row["total"], row["currency"]),
        products=tuple(row["products"]),
        contact_id=row["contact_id"],
        school_locale=row["school_locale"],
        order_version=row["order_version"],
        status=row["status"],
    )


async def save_school(conn: AsyncConnection, school: School, occurred_at: datetime) -> None:
    values = {"name": school.name, "default_locale": school.default_locale, "time_zone": school.time_zone,
              "reply_to": school.reply_to, "occurred_at": occurred_at}
    stmt = pg_insert(schools).values(account_id=school.account_id, **values)
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=[schools.c.account_id], set_=values,
        where=schools.c.occurred_at <= stmt.excluded.occurred_at,
    ))


_SAVE_PAYMENT_LINK = ("INSERT INTO payment_links (payment_id, account_id, order_id, url, occurred_at) "
                      "VALUES ($1, $2, $3, $4, $5)" + _LINK_UPSERT)


async def save_payment_link(conn: AsyncConnection, link: PaymentLink) -> None:
    """The payment's link, unless a newer one is known already (with an email's order: _SAVE_LINK)."""
    await (await driver_connection(conn)).execute(
        _SAVE_PAYMENT_LINK, link.payment_id, link.account_id, link.order_id, link.url, link.occurred_at
    )


def _money(value: Decimal, currency: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-CURRENCY_EXPONENTS[currency]))


_ADD_DELIVERY = """
INSERT INTO deliveries (id, account_id, order_id, contact_id, event_id, correlation_id, template, recipient, locale,
                        subject, text_body, html_body, sender_name, reply_to, status, cancel_reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
ON CONFLICT (event_id, template, recipient) DO NOTHING
RETURNING id
"""


async def add_delivery(
    conn: AsyncConnection, letter: Letter, rendered: Rendered, *, cancel_reason: str | None = None
) -> UUID | None:
    """Record the email to send (or, with a reason, as cancelled: never to be sent); None if this
    event already produced it for this address."""
    return await (await driver_connection(conn)).fetchval(
        _ADD_DELIVERY, uuid4(), letter.account_id, letter.order_id, letter.contact_id, letter.event_id,
        letter.correlation_id, letter.template, letter.to, letter.locale, rendered.subject, rendered.text,
        rendered.html, letter.school_name, letter.reply_to, "cancelled" if cancel_reason else "pending",
        cancel_reason,
    )


_CANCEL_UNSENT = """
UPDATE deliveries SET status = 'cancelled', cancel_reason = $4
WHERE account_id = $1 AND order_id = $2 AND template = ANY($3::text[]) AND status = 'pending'
"""


async def cancel_unsent(conn: AsyncConnection, account_id: UUID, order_id: UUID, templates: tuple[str, ...],
                        reason: str) -> int:
    """Cancel the order's emails of these kinds that have not gone out; how many."""
    status = await (await driver_connection(conn)).execute(
        _CANCEL_UNSENT, account_id, order_id, list(templates), reason
    )
    return int(status.rsplit(" ", 1)[1])


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


# The claim (DELIVERY_QUEUE.claim), one statement per choice of retry_unconfirmed: the try counted,
# the row leased and its handover forgotten.
_CLAIM_DUE = """
UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = now() + $2::interval, handed_over_at = NULL
WHERE id IN (
    SELECT id FROM deliveries WHERE next_attempt_at <= now() AND status = 'pending'{unconfirmed}
    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
)
RETURNING id, recipient, subject, text_body, html_body, attempts, sender_name, reply_to
"""
_CLAIM_DUE_UNHANDED = _CLAIM_DUE.format(unconfirmed=" AND handed_over_at IS NULL")
_CLAIM_DUE_ALL = _CLAIM_DUE.format(unconfirmed="")


async def claim_due(
    conn: AsyncConnection, limit: int, lease: timedelta, *, retry_unconfirmed: bool = False
) -> list[Outgoing]:
    """Take up to `limit` due deliveries for one try each.

    The try is counted and the row leased (pushed into the future) before anything is
    sent, so other senders skip it; its number (`attempts`) fences every later write of
    this try. A delivery a try handed over without seeing the answer is taken again only
    with `retry_unconfirmed` (the server drops repeats); otherwise settle_unconfirmed decides it.
    """
    rows = await (await driver_connection(conn)).fetch(
        _CLAIM_DUE_ALL if retry_unconfirmed else _CLAIM_DUE_UNHANDED, limit, lease
    )
    return [Outgoing(*r) for r in rows]


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


# The tries named by (id, attempts), as two arrays.
_TRIES = "(id, attempts) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))"
_OPEN_SQL = "(status = 'pending' OR (status = 'cancelled' AND handed_over_at IS NOT NULL))"
_HAND_OVER = f"""
UPDATE deliveries SET handed_over_at = now(), next_attempt_at = now() + $3::interval
WHERE {_TRIES} AND status = 'pending' AND handed_over_at IS NULL
RETURNING id
"""


def _tries(tries: Sequence[Outgoing]) -> tuple[list[UUID], list[int]]:
    return [t.id for t in tries], [t.attempts for t in tries]


async def hand_over(conn: AsyncConnection, tries: list[Outgoing], lease: timedelta) -> set[UUID]:
    """Record that these tries are handing their messages over; the ids of those that may (the
    others' order closed and cancelled them, or their lease ran out and another try took them)."""
    rows = await (await driver_connection(conn)).fetch(_HAND_OVER, *_tries(tries), lease)
    return {r["id"] for r in rows}


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


_OUTCOME_SQL = ("id, account_id, order_id, event_id, correlation_id, template, recipient, locale, subject, attempts, "
                "last_error, sent_at, status, now() AS now")
_MARK_SENT_MANY = f"""
UPDATE deliveries SET status = 'sent', sent_at = now(), cancel_reason = NULL, last_error = NULL
WHERE {_TRIES} AND {_OPEN_SQL}
RETURNING {_OUTCOME_SQL}
"""


class _Outcome:
    """A row of _OUTCOME_SQL, read by attribute as the rows of _OUTCOME are."""

    __slots__ = ("_row",)

    def __init__(self, row: Any) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        try:
            return self._row[name]
        except KeyError:
            raise AttributeError(name) from None


async def mark_sent_many(conn: AsyncConnection, tries: Sequence[Outgoing]) -> list[Any]:
    """Each of these tries' deliveries as sent, in one statement; the rows of those the try still
    decided (as mark_sent, for many at once)."""
    if not tries:
        return []
    # An earlier try's error no longer describes the delivery: the log would show a sent email as failing.
    return [_Outcome(r) for r in await (await driver_connection(conn)).fetch(_MARK_SENT_MANY, *_tries(tries))]


def _settling(note: str) -> str:
    """The settling update ($1 rows at most, `note` the parameter with the note), `{cancelled}` to fill."""
    return f"""
UPDATE deliveries SET status = 'sent', sent_at = handed_over_at, last_error = {note}, cancel_reason = NULL
WHERE id IN (
    SELECT id FROM deliveries
    WHERE {_OPEN_SQL} AND handed_over_at IS NOT NULL AND next_attempt_at <= now(){{cancelled}}
    LIMIT $1 FOR UPDATE SKIP LOCKED
)
RETURNING {_OUTCOME_SQL}
"""


_SETTLE_UNCONFIRMED = _settling("$2")
_SETTLE_ALL = _SETTLE_UNCONFIRMED.format(cancelled="")
_SETTLE_CANCELLED = _SETTLE_UNCONFIRMED.format(cancelled=" AND status = 'cancelled'")


async def settle_unconfirmed(conn: AsyncConnection, limit: int, note: str, *, pending_too: bool) -> list[Any]:
    """Deliveries whose try handed the message over and then stopped renewing its lease (its sender
    died between the end of the data and the mark): counted as sent, with `note`.

    Those cancelled meanwhile always; the pending ones only with `pending_too` (otherwise they are
    claimed and sent again, to a server that drops repeats).
    """
    rows = await (await driver_connection(conn)).fetch(_SETTLE_ALL if pending_too else _SETTLE_CANCELLED, limit, note)
    return [_Outcome(r) for r in rows]


# A sender's pass begins with both in one statement: the settling (as settle_unconfirmed: $1 rows at
# most, with the note $3) and the claim (as claim_due: $1 rows, leased for $2). Their rows never
# meet: a settled row was handed over, a claimed one was not (or, retrying unconfirmed ones, only
# cancelled rows are settled and only pending ones claimed). Each row says which it is; the claimed
# ones carry the columns of an Outgoing, the settled ones those of an outcome.
_SETTLE_AND_CLAIM = f"""
WITH settled AS ({_settling("$3")}), claimed AS (
    UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = now() + $2::interval, handed_over_at = NULL
    WHERE id IN (
        SELECT id FROM deliveries WHERE next_attempt_at <= now() AND status = 'pending'{{unconfirmed}}
        ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
    )
    RETURNING id, recipient, subject, text_body, html_body, attempts, sender_name, reply_to
)
SELECT false AS settled, id, recipient, subject, text_body, html_body, attempts, sender_name, reply_to,
       NULL::uuid AS account_id, NULL::uuid AS order_id, NULL::uuid AS event_id, NULL::uuid AS correlation_id,
       NULL::text AS template, NULL::text AS locale, NULL::text AS last_error, NULL::timestamptz AS sent_at,
       NULL::text AS status, NULL::timestamptz AS now
FROM claimed
UNION ALL
SELECT true, id, recipient, subject, NULL, NULL, attempts, NULL, NULL, account_id, order_id, event_id,
       correlation_id, template, locale, last_error, sent_at, status, now
FROM settled
"""
_SETTLE_ALL_CLAIM_UNHANDED = _SETTLE_AND_CLAIM.format(cancelled="", unconfirmed=" AND handed_over_at IS NULL")
_SETTLE_CANCELLED_CLAIM_ALL = _SETTLE_AND_CLAIM.format(cancelled=" AND status = 'cancelled'", unconfirmed="")


async def settle_and_claim(
    conn: AsyncConnection, limit: int, lease: timedelta, note: str, *, retry_unconfirmed: bool
) -> tuple[list[Any], list[Outgoing]]:
    """settle_unconfirmed (the pending ones too unless `retry_unconfirmed`) and claim_due, in one
    statement: the rows settled, and the tries claimed."""
    rows = await (await driver_connection(conn)).fetch(
        _SETTLE_CANCELLED_CLAIM_ALL if retry_unconfirmed else _SETTLE_ALL_CLAIM_UNHANDED, limit, lease, note
    )
    settled = [_Outcome(r) for r in rows if r["settled"]]
    claimed = [Outgoing(*r[1:9]) for r in rows if not r["settled"]]
    return settled, claimed


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


_HOLD_CONFIRMATION = """
INSERT INTO held_confirmations (order_id, event) VALUES ($1, $2::jsonb) ON CONFLICT (order_id) DO NOTHING
"""


async def hold_confirmation(conn: AsyncConnection, event: OrderCreated) -> None:
    """The manual order's confirmation, to wait for its link (take_recipient_for_email)."""
    await (await driver_connection(conn)).execute(_HOLD_CONFIRMATION, event.order_id, event.model_dump_json())
