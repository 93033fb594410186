"""Use cases of the orders service: one per command or message."""

from uuid import UUID

from ..domain.actor import SYSTEM, Actor
from .errors import NotFound, StaleVersion, Unchanged
from .contacts import EmailTaken, create_contact, edit_contact
from .editing import add_line, edit_line, edit_order, remove_line
from .intake import create_order
from .pipelines import create_pipeline, delete_pipeline, edit_pipeline, ensure_default_pipeline
from .settings import set_settings


def order_ref(value: str) -> UUID | int:
    """An order is found by its id or by its number."""
    if value.isdigit():
        return int(value)
    return UUID(value)


__all__ = [
    "SYSTEM", "Actor", "EmailTaken", "NotFound", "StaleVersion", "Unchanged", "add_line",
    "create_contact", "create_order", "create_pipeline", "delete_pipeline", "edit_contact",
    "edit_line", "edit_order", "edit_pipeline", "ensure_default_pipeline", "order_ref",
    "remove_line", "set_settings",
]
