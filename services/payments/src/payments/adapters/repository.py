"""SQL of the payments service."""

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from contracts import ContactData, OrderCreated, OrderUpdated
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from servicekit.db import driver_connection, single_statement
from servicekit.queues import LeasedQueue
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.payment import Payment, PaymentPart, quantized
from ..domain.records import DueReminder, LinkRequest, OrderState
from .sealing import Sealer
from .tables import (
    link_requests, order_states, payments, provider_accounts, reminder_schedules, reminders,
)

# What a use case may change on a payment; identity and order are fixed once written.
_MUTABLE = (
    "status", "link_url", "link_expires_at", "provider_reference", "attempts", "last_failure", "paid_at",
    "amount", "due_at", "method", "closes_access", "comment", "link_generation", "link_error", "refunded_amount",
    "overdue_notified_at", "marked_by", "parts",
)


def _mutable(p: Payment) -> dict[str, Any]:
    values = {name: getattr(p, name) for name in _MUTABLE}
    values["parts"] = [part.as_json(p.currency) for part in p.parts] or None
    return values


def _parts(stored: Any, currency: str) -> tuple[PaymentPart, ...]:
    return tuple(
        PaymentPart(method=p["method"], amount=quantized(Decimal(p["amount"]), currency), reference=p.get("reference"))
        for p in stored or ()
    )

LINKS_CHANNEL = "payments_links"


# The statements sent on every purchase go straight to asyncpg (servicekit.db.driver_connection),
# prepared once per connection: a json/jsonb parameter is its JSON text, such a column comes back parsed.

assert _MUTABLE[-1] == "parts"  # the one jsonb column of the list, cast where it is the last parameter

_ORDER_HAS_PAYMENTS = "SELECT EXISTS (SELECT 1 FROM payments WHERE order_id = $1)"

_ADD_PAYMENT = (
    "INSERT INTO payments (id, account_id, order_id, checkout_id, number, type, currency, provider, correlation_id, "
    + ", ".join(_MUTABLE) + ") VALUES ("
    + ", ".join(f"${n}" for n in range(1, 10 + len(_MUTABLE))) + "::jsonb)"
)

_PAYMENT = f"SELECT {', '.join(c.name for c in payments.c)} FROM payments WHERE id = $1"
_PAYMENT_FOR_UPDATE = _PAYMENT + " FOR UPDATE"

_SAVE_PAYMENT = (
    "UPDATE payments SET updated_at = now(), "
    + ", ".join(f"{name} = ${n}" for n, name in enumerate(_MUTABLE, start=2)) + "::jsonb WHERE id = $1"
)

# A provider's report, in one statement: the payment it names is locked (its provider's, the school's
# when the account is given) and the report recorded for it unless this very event was recorded before. The
# lock comes first (the insert reads the locked row), so a report racing another for the same
# payment waits for that one's commit and then sees the payment as it left it. No row: no such
# payment, and nothing recorded.
_LOCKED_PAYMENT_BY_ID = (
    f"SELECT {', '.join(c.name for c in payments.c)} FROM payments "
    "WHERE id = $1 AND provider = $2 AND ($3::uuid IS NULL OR account_id = $3) FOR UPDATE"
)
_LOCKED_PAYMENT_BY_REFERENCE = (
    f"SELECT {', '.join(c.name for c in payments.c)} FROM payments "
    "WHERE provider_reference = $1 AND provider = $2 AND account_id = $3 LIMIT 1 FOR UPDATE"
)


def _lock_and_record(locked: str) -> str:
    return (
        f"WITH locked AS MATERIALIZED ({locked}), "
        "recorded AS (INSERT INTO provider_events (provider, event_id, payment_id, kind, payload) "
        "SELECT $2, $4, id, $5, $6::jsonb FROM locked ON CONFLICT (provider, event_id) DO NOTHING RETURNING id) "
        "SELECT locked.*, EXISTS (SELECT 1 FROM recorded) AS recorded FROM locked"
    )


_LOCK_AND_RECORD_BY_ID = _lock_and_record(_LOCKED_PAYMENT_BY_ID)
_LOCK_AND_RECORD_BY_REFERENCE = _lock_and_record(_LOCKED_PAYMENT_BY_REFERENCE)

# A payment that owes nothing more (paid or cancelled) saved, its pending reminders stopped and the
# links still wanted for it dropped: one statement.
_SAVE_SETTLED = (
    "WITH saved AS (" + _SAVE_PAYMENT + "), "
    "stopped AS (UPDATE reminders SET status = 'stopped', done_at = now() "
    "WHERE payment_id = $1 AND status = 'pending') "
    "DELETE FROM link_requests WHERE payment_id = $1"
)


def _mutable_args(p: Payment) -> list[Any]:
    """The `_MUTABLE` columns' values in order, `parts` as its JSON text (a list, or null)."""
    values = _mutable(p)
    values["parts"] = json.dumps(values["parts"])
    return [values[name] for name in _MUTABLE]


async def order_has_payments(conn: AsyncConnection, order_id: UUID) -> bool:
    return bool(await (await driver_connection(conn)).fetchval(_ORDER_HAS_PAYMENTS, order_id))


async def add_payments(conn: AsyncConnection, new: list[Payment]) -> None:
    if not new:
        return
    await (await driver_connection(conn)).executemany(_ADD_PAYMENT, [
        [p.id, p.account_id, p.order_id, p.checkout_id, p.number, p.type, p.currency, p.provider, p.correlation_id,
         *_mutable_args(p)]
        for p in new
    ])


async def next_payment_number(conn: AsyncConnection, order_id: UUID) -> int:
    return int(await conn.scalar(
        select(func.coalesce(func.max(payments.c.number), 0) + 1).where(payments.c.order_id == order_id)
    ))


async def order_payments(conn: AsyncConnection, order_id: UUID, *, for_update: bool = False) -> list[Payment]:
    query = select(payments).where(payments.c.order_id == order_id).order_by(payments.c.number)
    if for_update:
        query = query.with_for_update()
    return [_payment(r._mapping) for r in await conn.execute(query)]


async def payment_by_provider_reference(
    conn: AsyncConnection, *, provider: str, reference: str, account_id: UUID, for_update: bool = False
) -> Payment | None:
    query = select(payments).where(
        payments.c.provider == provider, payments.c.provider_reference == reference,
        payments.c.account_id == account_id,
    )
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query.limit(1))).first()
    return _payment(row._mapping) if row else None


async def get_payment(
    conn: AsyncConnection, payment_id: UUID, *, account_id: UUID | None = None, for_update: bool = False
) -> Payment | None:
    """One payment; `for_update` holds its row until commit, so concurrent confirmations queue up."""
    if account_id is None:
        driver = await driver_connection(conn)
        row = await driver.fetchrow(_PAYMENT_FOR_UPDATE if for_update else _PAYMENT, payment_id)
        return _payment(row) if row else None
    query = select(payments).where(payments.c.id == payment_id)
    if account_id is not None:
        query = query.where(payments.c.account_id == account_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _payment(row._mapping) if row else None


def _payment(row: Any) -> Payment:
    return Payment(
        id=row["id"], account_id=row["account_id"], order_id=row["order_id"], checkout_id=row["checkout_id"],
        number=row["number"], type=row["type"], status=row["status"],
        amount=quantized(row["amount"], row["currency"]), currency=row["currency"], due_at=row["due_at"],
        method=row["method"], provider=row["provider"], closes_access=row["closes_access"],
        link_url=row["link_url"], link_expires_at=row["link_expires_at"],
        provider_reference=row["provider_reference"], attempts=row["attempts"], last_failure=row["last_failure"],
        paid_at=row["paid_at"], correlation_id=row["correlation_id"], comment=row["comment"],
        link_generation=row["link_generation"], link_error=row["link_error"],
        refunded_amount=quantized(row["refunded_amount"], row["currency"]),
        overdue_notified_at=row["overdue_notified_at"], marked_by=row["marked_by"],
        parts=_parts(row["parts"], row["currency"]),
    )


async def save_payment(conn: AsyncConnection, payment: Payment) -> None:
    await (await driver_connection(conn)).execute(_SAVE_PAYMENT, payment.id, *_mutable_args(payment))


async def save_settled_payment(conn: AsyncConnection, payment: Payment) -> None:
    """`save_payment` for a payment that owes nothing more, with `stop_reminders` and
    `drop_link_requests` for it, in one statement."""
    await (await driver_connection(conn)).execute(_SAVE_SETTLED, payment.id, *_mutable_args(payment))


async def lock_and_record_provider_event(
    conn: AsyncConnection, *, provider: str, event_id: str, kind: str, payload: dict[str, Any],
    payment_id: UUID | None = None, reference: str | None = None, account_id: UUID | None = None,
) -> tuple[Payment, bool] | None:
    """The provider's payment named by our id (or else by the provider's reference, with the
    school), locked until commit, and whether this event was recorded for it now (False: it was
    before); None, and nothing recorded, when there is no such payment."""
    if payment_id is not None:
        statement, key = _LOCK_AND_RECORD_BY_ID, payment_id
    elif reference is not None and account_id is not None:
        statement, key = _LOCK_AND_RECORD_BY_REFERENCE, reference
    else:
        return None
    row = await (await driver_connection(conn)).fetchrow(
        statement, key, provider, account_id, event_id, kind, json.dumps(payload),
    )
    return None if row is None else (_payment(row), row["recorded"])


# --- the order read model ---------------------------------------------------------------


_ORDER_STATE_COLUMNS = "order_id, account_id, order_number, school_name, currency, provider, contact, status, version"

# The order as payments knows it (the first picture of it wins), unless the order has payments
# already (the same order under another event id, planned before): the check and the insert in one
# statement.
_ADD_ORDER_STATE_UNLESS_PLANNED = (
    "WITH planned AS MATERIALIZED (SELECT EXISTS (SELECT 1 FROM payments WHERE order_id = $1) AS planned), "
    "added AS (INSERT INTO order_states (order_id, account_id, order_number, school_name, currency, provider, "
    "contact) SELECT $1, $2::uuid, $3::integer, $4::text, $5::text, $6::text, $7::jsonb "
    "WHERE NOT (SELECT planned FROM planned) ON CONFLICT (order_id) DO NOTHING "
    f"RETURNING {_ORDER_STATE_COLUMNS}) "
    "SELECT (SELECT planned FROM planned) AS planned, added.* FROM (SELECT) AS one LEFT JOIN added ON true"
)

_UPDATE_ORDER_STATE = (
    "UPDATE order_states SET order_number = $3, currency = $4, contact = $5::jsonb, status = $6, version = $7, "
    "updated_at = now() WHERE order_id = $1 AND account_id = $2 AND version < $7"
)


def _order_state(m: Any) -> OrderState:
    return OrderState(
        order_id=m["order_id"], account_id=m["account_id"], order_number=m["order_number"],
        school_name=m["school_name"], currency=m["currency"], provider=m["provider"],
        contact=ContactData.model_validate(m["contact"]), status=m["status"], version=m["version"],
    )


async def add_order_state_unless_planned(conn: AsyncConnection, order: OrderCreated) -> OrderState | None:
    """Keep the order as payments knows it (the first picture of it wins) and return what is kept;
    None, and nothing added, when the order has payments already."""
    row = await (await driver_connection(conn)).fetchrow(
        _ADD_ORDER_STATE_UNLESS_PLANNED, order.order_id, order.account_id, order.order_number, order.school_name,
        order.currency, order.provider, order.contact.model_dump_json(),
    )
    assert row is not None
    if row["planned"]:
        return None
    if row["order_id"] is not None:
        return _order_state(row)
    kept = await get_order_state(conn, order.order_id)  # already there: kept as it was
    assert kept is not None
    return kept


async def order_id_of(conn: AsyncConnection, account_id: UUID, ref: UUID | int) -> UUID | None:
    """The id of the school's order named by its id or its number, if payments has heard of it."""
    named = order_states.c.order_id == ref if isinstance(ref, UUID) else order_states.c.order_number == ref
    return (await conn.execute(
        select(order_states.c.order_id).where(order_states.c.account_id == account_id, named)
    )).scalar_one_or_none()


async def get_order_state(
    conn: AsyncConnection, order_id: UUID, *, account_id: UUID | None = None, for_update: bool = False
) -> OrderState | None:
    query = select(order_states).where(order_states.c.order_id == order_id)
    if account_id is not None:
        query = query.where(order_states.c.account_id == account_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return None if row is None else _order_state(row._mapping)


async def update_order_state(conn: AsyncConnection, event: OrderUpdated) -> bool:
    """Keep the newer picture of the school's order; False (and nothing changed) when the order is
    unknown, another school's, or already kept at this version or a later one."""
    status = await (await driver_connection(conn)).execute(
        _UPDATE_ORDER_STATE, event.order_id, event.account_id, event.order_number, event.currency,
        event.contact.model_dump_json(), event.status, event.order_version,
    )
    return status != "UPDATE 0"


# --- provider links wanted ---------------------------------------------------------------


async def want_link(
    conn: AsyncConnection, payment: Payment, *, purpose: str, send_email: bool, correlation_id: UUID,
    causation_id: UUID | None,
) -> None:
    """Record that a link is wanted; a request already waiting keeps any wish to email it."""
    stmt = pg_insert(link_requests).values(
        payment_id=payment.id, purpose=purpose, account_id=payment.account_id, send_email=send_email,
        generation=payment.link_generation, correlation_id=correlation_id, causation_id=causation_id,
    )
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=[link_requests.c.payment_id, link_requests.c.purpose],
        set_={
            "send_email": link_requests.c.send_email | stmt.excluded.send_email,
            "generation": stmt.excluded.generation, "attempts": 0, "next_attempt_at": func.now(),
            "last_error": None,
        },
    ))
    # Every waiting request of the payment is now for the newest link.
    await conn.execute(
        update(link_requests).where(link_requests.c.payment_id == payment.id)
        .values(generation=payment.link_generation)
    )
    await conn.execute(text("SELECT pg_notify(:c, '')"), {"c": LINKS_CHANNEL})


# The links wanted and not yet issued, each leased to one worker at a time.
LINK_QUEUE = LeasedQueue(link_requests, (link_requests.c.payment_id, link_requests.c.purpose),
                         link_requests.c.next_attempt_at, link_requests.c.attempts)


async def lease_link_requests(conn: AsyncConnection, *, limit: int, lease_seconds: float) -> list[LinkRequest]:
    """Due requests, leased to this worker: another worker skips them until the lease ends."""
    rows = await conn.execute(LINK_QUEUE.claim(
        limit=limit, lease=timedelta(seconds=lease_seconds),
        returning=[link_requests.c[n] for n in (
            "payment_id", "purpose", "account_id", "send_email", "generation", "correlation_id", "causation_id",
            "attempts",
        )],
    ))
    return [LinkRequest(**r._mapping) for r in rows]


async def pending_link_requests(conn: AsyncConnection, payment_id: UUID) -> list[LinkRequest]:
    rows = await conn.execute(
        select(*[link_requests.c[n] for n in (
            "payment_id", "purpose", "account_id", "send_email", "generation", "correlation_id", "causation_id",
            "attempts",
        )]).where(link_requests.c.payment_id == payment_id).with_for_update()
    )
    return [LinkRequest(**r._mapping) for r in rows]


async def drop_link_requests(conn: AsyncConnection, payment_id: UUID) -> None:
    await (await driver_connection(conn)).execute(_DROP_LINK_REQUESTS, payment_id)


_DROP_LINK_REQUESTS = "DELETE FROM link_requests WHERE payment_id = $1"


async def postpone_link_request(
    conn: AsyncConnection, request: LinkRequest, *, delay_seconds: float, error: str
) -> None:
    await conn.execute(
        update(link_requests)
        .where(link_requests.c.payment_id == request.payment_id, link_requests.c.purpose == request.purpose,
               link_requests.c.generation == request.generation)
        .values(next_attempt_at=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, delay_seconds),
                last_error=error[:1000])
    )
    await conn.execute(
        update(payments).where(payments.c.id == request.payment_id, payments.c.link_generation == request.generation)
        .values(link_error=error[:1000], updated_at=func.now())
    )


async def move_link_requests(
    conn: AsyncConnection, payment_id: UUID, *, from_generation: int, to_generation: int
) -> None:
    """The payment's waiting requests now ask for a newer link, keeping when they are next due."""
    await conn.execute(
        update(link_requests)
        .where(link_requests.c.payment_id == payment_id, link_requests.c.generation == from_generation)
        .values(generation=to_generation)
    )


# --- provider credentials -----------------------------------------------------------------


async def put_provider_settings(
    conn: AsyncConnection, sealer: Sealer, account_id: UUID, provider: str, settings: dict[str, Any]
) -> None:
    sealed = sealer.seal(settings, account_id, provider)
    stmt = pg_insert(provider_accounts).values(account_id=account_id, provider=provider, settings=sealed)
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=[provider_accounts.c.account_id, provider_accounts.c.provider],
        set_={"settings": stmt.excluded.settings, "updated_at": func.now()},
    ))


async def configured_providers(conn: AsyncConnection, account_id: UUID) -> list[str]:
    """The providers the school has credentials for, by name."""
    rows = await conn.scalars(
        select(provider_accounts.c.provider).where(provider_accounts.c.account_id == account_id)
        .order_by(provider_accounts.c.provider)
    )
    return list(rows)


async def schools_with_providers(conn: AsyncConnection) -> dict[UUID, list[str]]:
    rows = await conn.execute(
        select(provider_accounts.c.account_id, provider_accounts.c.provider)
        .order_by(provider_accounts.c.account_id, provider_accounts.c.provider)
    )
    found: dict[UUID, list[str]] = {}
    for account_id, provider in rows:
        found.setdefault(account_id, []).append(provider)
    return found


async def wake_link_requests(conn: AsyncConnection, account_id: UUID, provider: str) -> int:
    """Links put off by this school's provider are due now (its credentials just changed).

    A request leased by a worker at this moment may be asked for twice: harmless, the same
    generation is the same idempotency key at the provider.
    """
    result = await conn.execute(
        update(link_requests)
        .where(link_requests.c.account_id == account_id,
               link_requests.c.payment_id.in_(select(payments.c.id).where(payments.c.provider == provider)),
               link_requests.c.last_error.is_not(None), link_requests.c.next_attempt_at > func.now())
        .values(next_attempt_at=func.now(), attempts=0)
    )
    if result.rowcount:
        await conn.execute(text("SELECT pg_notify(:c, '')"), {"c": LINKS_CHANNEL})
    return result.rowcount


async def provider_settings(
    conn: AsyncConnection, sealer: Sealer, account_id: UUID, provider: str, *, for_update: bool = False
) -> dict[str, Any] | None:
    """The settings as stored, opened; `for_update` holds the row until the transaction ends, so
    two changes made at once each keep the other's fields."""
    query = (
        select(provider_accounts.c.settings)
        .where(provider_accounts.c.account_id == account_id, provider_accounts.c.provider == provider)
    )
    stored = await conn.scalar(query.with_for_update() if for_update else query)
    return None if stored is None else sealer.open(stored, account_id, provider)


_PROVIDER_SETTINGS = "SELECT settings FROM provider_accounts WHERE account_id = $1 AND provider = $2"


async def provider_settings_now(
    conn: AsyncConnection, sealer: Sealer, account_id: UUID, provider: str
) -> dict[str, Any] | None:
    """`provider_settings` read on a connection that has begun no transaction, in one statement and
    one round trip (servicekit.db.single_statement): what every webhook is verified with, and what
    the CRM's page and reconciliation read."""
    stored = await (await single_statement(conn)).fetchval(_PROVIDER_SETTINGS, account_id, provider)
    return None if stored is None else sealer.open(stored, account_id, provider)


async def reseal_provider_settings(conn: AsyncConnection, sealer: Sealer) -> int:
    """Seal again, with the current key, every row sealed with another key or not sealed at all."""
    rows = (await conn.execute(
        select(provider_accounts.c.account_id, provider_accounts.c.provider, provider_accounts.c.settings)
        .with_for_update()
    )).all()
    changed = 0
    for account_id, provider, stored in rows:
        if sealer.needs_reseal(stored):
            await conn.execute(
                update(provider_accounts)
                .where(provider_accounts.c.account_id == account_id, provider_accounts.c.provider == provider)
                .values(settings=sealer.seal(sealer.open(stored, account_id, provider), account_id, provider))
            )
            changed += 1
    return changed


# --- reminders and overdue ----------------------------------------------------------------


async def reminder_offsets(conn: AsyncConnection, account_id: UUID) -> list[int] | None:
    return await conn.scalar(
        select(reminder_schedules.c.offsets_hours).where(reminder_schedules.c.account_id == account_id)
    )


async def put_reminder_offsets(conn: AsyncConnection, account_id: UUID, offsets: list[int]) -> None:
    stmt = pg_insert(reminder_schedules).values(account_id=account_id, offsets_hours=offsets)
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=[reminder_schedules.c.account_id],
        set_={"offsets_hours": stmt.excluded.offsets_hours, "updated_at": func.now()},
    ))


_STOP_REMINDERS = (
    "UPDATE reminders SET status = 'stopped', done_at = now() WHERE payment_id = ANY($1::uuid[]) AND status = 'pending'"
)

async def stop_reminders(conn: AsyncConnection, payment_ids: Sequence[UUID]) -> None:
    if payment_ids:
        await (await driver_connection(conn)).execute(_STOP_REMINDERS, list(payment_ids))


async def add_reminders(
    conn: AsyncConnection, payment: Payment, planned_at: datetime, times: list[tuple[int, datetime]]
) -> None:
    if not times:
        return
    stmt = pg_insert(reminders).values([
        {"payment_id": payment.id, "offset_hours": offset, "planned_at": planned_at,
         "account_id": payment.account_id, "remind_at": at}
        for offset, at in times
    ])
    # A date moved back to one already planned revives its stopped reminders, never a sent one.
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=[reminders.c.payment_id, reminders.c.offset_hours, reminders.c.planned_at],
        set_={"status": "pending", "done_at": None},
        where=reminders.c.status == "stopped",
    ))


async def account_unpaid_planned(conn: AsyncConnection, account_id: UUID) -> list[Payment]:
    rows = await conn.execute(
        select(payments).where(payments.c.account_id == account_id, payments.c.status == "unpaid",
                               payments.c.due_at.is_not(None))
    )
    return [_payment(r._mapping) for r in rows]


async def lock_due_reminders(conn: AsyncConnection, *, limit: int) -> list[DueReminder]:
    """Due reminders, locked until this transaction ends; other workers skip them."""
    rows = await conn.execute(
        select(reminders.c.payment_id, reminders.c.offset_hours, reminders.c.planned_at)
        .where(reminders.c.status == "pending", reminders.c.remind_at <= func.now())
        .order_by(reminders.c.remind_at).limit(limit).with_for_update(skip_locked=True)
    )
    return [DueReminder(**r._mapping) for r in rows]


async def finish_reminder(conn: AsyncConnection, due: DueReminder, status: str) -> None:
    await conn.execute(
        update(reminders).where(
            reminders.c.payment_id == due.payment_id, reminders.c.offset_hours == due.offset_hours,
            reminders.c.planned_at == due.planned_at,
        ).values(status=status, done_at=func.now())
    )


async def lock_overdue(conn: AsyncConnection, *, limit: int) -> list[Payment]:
    """Overdue payments not yet announced, locked until this transaction ends; other workers skip them."""
    rows = await conn.execute(
        select(payments)
        .where(payments.c.status == "unpaid", payments.c.overdue_notified_at.is_(None),
               payments.c.due_at.is_not(None), payments.c.due_at < func.now())
        .order_by(payments.c.due_at).limit(limit).with_for_update(skip_locked=True)
    )
    return [_payment(r._mapping) for r in rows]


async def stuck_with_provider(conn: AsyncConnection, providers: Sequence[str], *, limit: int) -> list[Payment]:
    """Unpaid payments whose provider page is (or was) open: what reconciliation asks about."""
    rows = await conn.execute(
        select(payments)
        .where(payments.c.status == "unpaid", payments.c.provider.in_(list(providers)),
               payments.c.provider_reference.is_not(None))
        .order_by(payments.c.updated_at).limit(limit)
    )
    return [_payment(r._mapping) for r in rows]
