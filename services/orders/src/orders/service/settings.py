"""The school's own CRM settings."""

from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters import repository as repo
from ..adapters.phones import known_region
from ..commands import SchoolSettings
from ..domain.actor import Actor
from ..domain.order import InvalidOrder


async def set_settings(conn: AsyncConnection, actor: Actor, command: SchoolSettings) -> None:
    values = {field: getattr(command, field) for field in command.model_fields_set}
    if values.get("phone_region") is not None:
        region = values["phone_region"].upper()
        if not known_region(region):
            raise InvalidOrder("phone_region", f"{region} is not an ISO 3166 country code with known phone numbers")
        values["phone_region"] = region
    if values:
        await repo.save_school(conn, actor.account_id, **values)
