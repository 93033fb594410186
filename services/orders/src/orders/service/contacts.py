"""Contacts: one per email in a school."""

from dataclasses import replace
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters import repository as repo
from ..commands import ContactChanges, ContactFields
from ..domain.actor import Actor
from ..domain.order import Contact, InvalidOrder
from .errors import NotFound
from .intake import phone_in
from .unit_of_work import UnitOfWork


async def normalised_phone(conn: AsyncConnection, account: UUID, phone: str | None, field: str) -> str | None:
    school = await repo.school(conn, account) if phone is not None and phone.strip() else None
    return phone_in(school.phone_region if school else None, phone, field)


class EmailTaken(Exception):
    """Another contact of the school has the email: `contact_id` is that contact, to open instead."""

    field = "email"

    def __init__(self, contact_id: UUID) -> None:
        super().__init__("another contact of this school has this email")
        self.contact_id = contact_id
        self.facts = {"contact_id": str(contact_id)}


async def create_contact(conn: AsyncConnection, actor: Actor, command: ContactFields) -> UUID:
    values = {"name": command.name, "email": str(command.email),
              "phone": await normalised_phone(conn, actor.account_id, command.phone, "phone"), "locale": command.locale}
    created = await repo.insert_contact(conn, actor.account_id, values)
    if created is None:
        existing = await repo.contact_by_email(conn, actor.account_id, values["email"])
        assert existing is not None
        raise EmailTaken(existing.id)
    return created


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
        school = await uow.schools.profile(actor.account_id) if changes.phone and changes.phone.strip() else None
        values["phone"] = phone_in(school.phone_region if school else None, changes.phone, "phone")
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
