"""Contacts: one per email in a school."""

from dataclasses import replace
from typing import Any
from uuid import UUID, uuid4

from servicekit.idempotency import Idempotent

from ..domain.phones import to_e164
from ..entrypoints.bodies import ContactChanges, ContactFields
from ..domain.actor import Actor
from ..domain.order import Contact, InvalidOrder, filled_by_a_visit
from .errors import NotFound
from .unit_of_work import UnitOfWork


def phone_in(region: str | None, phone: str | None, field: str) -> str | None:
    """E.164; a number typed without its country code is read in the school's phone region, if it set one."""
    if phone is None or not phone.strip():
        return None
    try:
        return to_e164(phone, region)
    except ValueError as exc:
        raise InvalidOrder(field, str(exc)) from None


async def normalised_phone(uow: UnitOfWork, account: UUID, phone: str | None, field: str) -> str | None:
    """`phone_in` with the school's region, looked up only when there is a number to read."""
    school = await uow.schools.profile(account) if phone is not None and phone.strip() else None
    return phone_in(school.phone_region if school else None, phone, field)


class EmailTaken(Exception):
    """Another contact of the school has the email: `contact_id` is that contact, to open instead."""

    field = "email"

    def __init__(self, contact_id: UUID) -> None:
        super().__init__("another contact of this school has this email")
        self.contact_id = contact_id
        self.facts = {"contact_id": str(contact_id)}


async def create_contact(
    uow: UnitOfWork, actor: Actor, command: ContactFields, *, idempotency: Idempotent | None = None
) -> UUID:
    """A new contact; an email the school knows is refused, naming the contact that has it (never
    overwritten: the team opens that one instead). A repeat under its key is the contact it made."""
    if (earlier := await uow.idempotency.made_before(str(actor.account_id), idempotency)) is not None:
        return earlier
    contact = Contact(uuid4(), command.name, str(command.email),
                      await normalised_phone(uow, actor.account_id, command.phone, "phone"), command.locale)
    if not await uow.contacts.add(actor.account_id, contact):
        existing = await uow.contacts.with_email(actor.account_id, contact.email)
        assert existing is not None
        raise EmailTaken(existing.id)
    await uow.idempotency.remember(str(actor.account_id), idempotency, contact.id)
    return contact.id


async def contact_of_visit(
    uow: UnitOfWork, account: UUID, *, name: str, email: str, phone: str | None, locale: str | None
) -> Contact:
    """The contact a visit (or a manual order typing one in) is for: new for a new email; for a known
    one, that contact, never overwritten, only given what it lacks (domain.order.filled_by_a_visit)."""
    new = Contact(uuid4(), name, email, phone, locale)
    # Tried first: a new email is the common case, and then this is the only round trip.
    if await uow.contacts.add(account, new):
        return new
    known = await uow.contacts.with_email(account, email, for_update=True)
    assert known is not None  # the email is taken, and contacts are never deleted
    filled = filled_by_a_visit(known, phone=phone, locale=locale)
    await uow.contacts.fill(known.id, filled)
    return replace(known, **filled)


async def edit_contact(uow: UnitOfWork, actor: Actor, contact_id: UUID, changes: ContactChanges) -> None:
    """Orders carry the contact: each active one is announced again, so emails go to the new address."""
    contact = await uow.contacts.get(actor.account_id, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    given = changes.model_fields_set
    values = {}
    for field in ("name", "email", "locale"):
        if field in given:
            value = getattr(changes, field)
            if value is None and field in ("name", "email"):
                raise InvalidOrder(field, "cannot be empty")
            values[field] = str(value) if value is not None else None
    if "phone" in given:
        values["phone"] = await normalised_phone(uow, actor.account_id, changes.phone, "phone")
    values = {k: v for k, v in values.items() if v != getattr(contact, k)}
    if not values:
        return
    if not await uow.contacts.update(contact_id, values):
        existing = await uow.contacts.with_email(actor.account_id, values["email"])
        raise EmailTaken(existing.id if existing else contact_id)
    changed = {k: {"before": getattr(contact, k), "after": v} for k, v in values.items()}
    await announce_contact(uow, actor, replace(contact, **values), changed)


async def announce_contact(uow: UnitOfWork, actor: Actor, contact: Contact, changes: dict[str, Any]) -> None:
    """Each active order of the contact carries it again, at a new version."""
    for order_id in await uow.orders.active_of_contact(contact.id):
        order = await uow.orders.load(actor.account_id, order_id)
        assert order is not None  # locked by the query that found it
        events = order.contact_changed(actor, contact, changes)
        await uow.orders.save(order)
        await uow.outbox.add(*events)
