"""The school's own CRM settings."""

from ..domain.phones import known_region
from ..entrypoints.bodies import SchoolSettings
from ..domain.actor import Actor
from ..domain.order import InvalidOrder
from .unit_of_work import UnitOfWork


async def set_settings(uow: UnitOfWork, actor: Actor, command: SchoolSettings) -> None:
    values = {field: getattr(command, field) for field in command.model_fields_set}
    if values.get("phone_region") is not None:
        region = values["phone_region"].upper()
        if not known_region(region):
            raise InvalidOrder("phone_region", f"{region} is not an ISO 3166 country code with known phone numbers")
        values["phone_region"] = region
    if values:
        await uow.schools.set(actor.account_id, **values)
