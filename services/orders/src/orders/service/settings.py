"""The school's own CRM settings."""

from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters import repository as repo
from ..commands import SchoolSettings
from .common import Actor


async def set_settings(conn: AsyncConnection, actor: Actor, command: SchoolSettings) -> None:
    await repo.save_school(conn, actor.account_id, unpaid_expiry_days=command.unpaid_expiry_days)
