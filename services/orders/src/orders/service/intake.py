"""New orders: from a visit to an offer, or made by hand in the CRM."""

import hashlib
from datetime import tzinfo
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from contracts import ContactData, OfferOpened, OrderCreated, OrderLine, PlannedPayment
from pydantic_core import to_jsonable_python
from servicekit.outbox import add_to_outbox
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters import repository as repo
from ..adapters.phones import to_e164
from ..adapters.tables import outbox
from ..adapters.unit_of_work import SqlPipelines
from ..commands import ContactFields, NewOrder, PaymentFields
from ..domain.actor import SYSTEM, Actor
from ..domain.catalog import check_line
from ..domain.order import Discount, InvalidOrder, check_amount, check_plan, payment_status, priced
from ..domain.zones import instant, terms_in_zone, zone_named
from .placement import place


DEFAULT_SCHOOL_NAME = "Online school"


async def history(conn: AsyncConnection, actor: Actor, order_id: UUID, kind: str, details: dict[str, Any]) -> None:
    await repo.add_history(conn, order_id, actor.account_id, actor.user, kind, to_jsonable_python(details))


async def school_zone(conn: AsyncConnection, account_id: UUID, default: tzinfo) -> tzinfo:
    """The zone the school's dates are typed in: its own, else the deployment's (domain.zones)."""
    school = await repo.school(conn, account_id)
    return zone_named(school.time_zone if school else None, default)


async def on_offer_opened(conn: AsyncConnection, event: OfferOpened) -> None:
    """Every visit to an offer page makes a new order, with the offer's terms as they were."""
    account = event.account_id
    existing, pipeline_id, stage_id = await repo.placement_for_checkout(conn, account, event.checkout_id)
    if existing is not None:
        return
    await repo.save_school(conn, account, overwrite=False, name=event.school_name, locale=event.school_locale)
    contact = event.contact
    contact_id = await repo.upsert_contact(
        conn, account, name=contact.name, email=str(contact.email), phone=contact.phone, locale=contact.locale
    )
    number = await repo.next_order_number(conn, account)
    order_id = uuid4()
    lines = [
        OrderLine(line_id=uuid4(), product_id=line.product_id, product_title=line.product_title, price=line.price,
                  offer_id=event.offer_id, access=line.access)
        for line in event.lines
    ]
    subtotal = sum((line.price for line in lines), Decimal(0))
    await repo.add_order(
        conn,
        {
            "id": order_id, "account_id": account, "number": number, "checkout_id": event.checkout_id,
            "offer_id": event.offer_id, "contact_id": contact_id, "pipeline_id": pipeline_id, "stage_id": stage_id,
            "type": "regular", "source": event.source, "currency": event.currency, "subtotal": subtotal,
            "discount": event.discount, "total": event.total,
            "payment_status": payment_status(event.total, Decimal(0)).value,
        },
        [_line_row(order_id, n, line, offer_title=event.offer_title, offer_version=event.offer_version)
         for n, line in enumerate(lines)],
    )
    await repo.add_history(conn, order_id, account, SYSTEM, "created", {
        "source": event.source, "offer_id": str(event.offer_id), "offer_version": event.offer_version,
        "checkout_id": str(event.checkout_id),
    })
    await add_to_outbox(conn, outbox, OrderCreated.caused_by(
        event,
        order_id=order_id, order_number=number, checkout_id=event.checkout_id, offer_id=event.offer_id,
        school_name=event.school_name, contact_id=contact_id, contact=contact, currency=event.currency,
        lines=lines, discount=event.discount, total=event.total, payment_plan=event.payment_plan,
        provider=event.provider, send_payment_link=True, school_locale=event.school_locale, source=event.source,
    ))


def _line_row(order_id: UUID, position: int, line: OrderLine, *, offer_title: str | None = None,
              offer_version: int | None = None) -> dict[str, Any]:
    return {"id": line.line_id, "order_id": order_id, "position": position, "product_id": line.product_id,
            "product_title": line.product_title, "offer_id": line.offer_id, "offer_title": offer_title,
            "offer_version": offer_version, "price": line.price, "access": line.access.model_dump(mode="json")}


class IdempotencyKeyReused(Exception):
    """The key was used before for a different request."""


async def create_order(
    conn: AsyncConnection, actor: Actor, command: NewOrder, *, idempotency_key: str | None = None,
    default_zone: tzinfo,
) -> UUID:
    """An order made by hand: placed, priced and announced like one from an offer, source "manual".
    Its dates typed without an offset are read in the school's zone, else `default_zone`."""
    account = actor.account_id
    fingerprint = hashlib.sha256(command.model_dump_json().encode()).hexdigest()
    if idempotency_key is not None:
        remembered = await repo.remembered_order(conn, account, idempotency_key)
        if remembered is not None:
            if remembered[1] != fingerprint:
                raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
            return remembered[0]
    pipeline_id, stage_id = await place(SqlPipelines(conn), account, command.pipeline_id, command.stage_id)
    zone = await school_zone(conn, account, default_zone)
    titles, terms = [], []
    for n, line in enumerate(command.lines):
        terms.append(terms_in_zone(line.access, zone, at=f"lines.{n}."))
        catalog_title = check_line(await repo.catalog_product(conn, account, line.product_id), line.product_id,
                                   terms[n], at=f"lines.{n}.")
        titles.append(line.product_title or catalog_title)
        check_amount(f"lines.{n}.price", line.price, command.currency)
    discount = Discount.of(command.discount)
    subtotal, off, total = priced([line.price for line in command.lines], discount, command.currency)
    check_plan([p.amount for p in command.payments], total, command.currency)
    contact_id, contact = await choose_contact(conn, account, command.contact_id, command.contact)
    number = await repo.next_order_number(conn, account)
    order_id = uuid4()
    lines = [OrderLine(line_id=uuid4(), product_id=line.product_id, product_title=title,
                       price=line.price, offer_id=line.offer_id, access=access)
             for line, title, access in zip(command.lines, titles, terms, strict=True)]
    payments = [_planned(p, zone) for p in command.payments]
    await repo.add_order(
        conn,
        {"id": order_id, "account_id": account, "number": number, "offer_id": None, "contact_id": contact_id,
         "pipeline_id": pipeline_id, "stage_id": stage_id, "type": command.type, "source": "manual",
         "currency": command.currency, "subtotal": subtotal, "discount": off,
         "discount_percent": discount.percent, "total": total,
         "payment_status": payment_status(total, Decimal(0)).value, "managers": command.managers,
         "tags": command.tags, "comment": command.comment},
        [_line_row(order_id, n, line, offer_title=command.lines[n].offer_title) for n, line in enumerate(lines)],
    )
    await history(conn, actor, order_id, "created", {
        "source": "manual", "payments": [p.model_dump(mode="json") for p in payments],
        "send_payment_link": command.send_payment_link, "send_confirmation": command.send_confirmation,
    })
    plan = payments
    if not plan and total > 0:
        plan = [PlannedPayment(amount=total)]
    school = await repo.school(conn, account)
    await add_to_outbox(conn, outbox, actor.event(
        OrderCreated,
        order_id=order_id, order_number=number, school_name=(school.name if school and school.name else
                                                             DEFAULT_SCHOOL_NAME),
        school_locale=school.locale if school else None, contact_id=contact_id, contact=contact,
        currency=command.currency, lines=lines, discount=off, total=total, payment_plan=plan,
        provider=command.provider, send_payment_link=command.send_payment_link, source="manual",
        send_confirmation=command.send_confirmation,
    ))
    if idempotency_key is not None:
        await repo.remember_order(conn, account, idempotency_key, fingerprint, order_id)
    return order_id


def _planned(payment: PaymentFields, zone: tzinfo) -> PlannedPayment:
    values = payment.model_dump()
    for field in ("due_at", "paid_at"):
        if values[field] is not None:
            values[field] = instant(values[field], zone)
    return PlannedPayment(**values)



async def normalised_phone(conn: AsyncConnection, account: UUID, phone: str | None, field: str) -> str | None:
    """E.164; a number typed without its country code is read in the school's phone region, if it set one."""
    if phone is None or not phone.strip():
        return None
    school = await repo.school(conn, account)
    try:
        return to_e164(phone, school.phone_region if school else None)
    except ValueError as exc:
        raise InvalidOrder(field, str(exc)) from None


async def choose_contact(
    conn: AsyncConnection, account: UUID, contact_id: UUID | None, inline: ContactFields | None
) -> tuple[UUID, ContactData]:
    """The chosen contact, or the one typed in: an email the school knows reuses that contact."""
    if contact_id is not None:
        row = await repo.contact_row(conn, account, contact_id)
        if row is None:
            raise InvalidOrder("contact_id", f"no contact {contact_id} in this school")
        return row.id, ContactData(name=row.name, email=row.email, phone=row.phone, locale=row.locale)
    assert inline is not None
    phone = await normalised_phone(conn, account, inline.phone, "contact.phone")
    new_id = await repo.upsert_contact(conn, account, name=inline.name, email=str(inline.email), phone=phone,
                                       locale=inline.locale)
    row = await repo.contact_row(conn, account, new_id)
    assert row is not None
    return row.id, ContactData(name=row.name, email=row.email, phone=row.phone, locale=row.locale)
