"""Contacts: one per email in a school."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters import repository as repo
from ..commands import ContactChanges, ContactFields
from ..domain.order import InvalidOrder
from .common import Actor, NotFound, announce_update, history, plain
from .intake import normalised_phone


class EmailTaken(Exception):
    def __init__(self, contact_id: UUID) -> None:
        super().__init__("another contact of this school has this email")
        self.contact_id = contact_id


async def create_contact(conn: AsyncConnection, actor: Actor, command: ContactFields) -> UUID:
    values = {"name": command.name, "email": str(command.email),
              "phone": await normalised_phone(conn, actor.account_id, command.phone, "phone"), "locale": command.locale}
    created = await repo.insert_contact(conn, actor.account_id, values)
    if created is None:
        existing = await repo.contact_by_email(conn, actor.account_id, values["email"])
        assert existing is not None
        raise EmailTaken(existing.id)
    return created


async def edit_contact(conn: AsyncConnection, actor: Actor, contact_id: UUID, changes: ContactChanges) -> None:
    """Orders carry the contact: each active one is announced again, so emails go to the new address."""
    row = await repo.contact_row(conn, actor.account_id, contact_id)
    if row is None:
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
        values["phone"] = await normalised_phone(conn, actor.account_id, changes.phone, "phone")
    values = {k: v for k, v in values.items() if v != getattr(row, k)}
    if not values:
        return
    if not await repo.update_contact(conn, contact_id, values):
        existing = await repo.contact_by_email(conn, actor.account_id, values["email"])
        raise EmailTaken(existing.id if existing else contact_id)
    for order_id in await repo.active_orders_of_contact(conn, contact_id):
        await repo.bump_version(conn, order_id)
        await history(conn, actor, order_id, "contact_updated", {
            "contact_id": contact_id, "changes": {k: {"before": plain(getattr(row, k)), "after": v}
                                                  for k, v in values.items()}})
        await announce_update(conn, actor, order_id, ["contact"])
