"""Use cases of the orders service: one per command or message."""

from uuid import UUID

from ..adapters.unit_of_work import joined
from . import catalog, expiry, intake, notifications, payments
from ..domain.actor import SYSTEM, Actor
from .errors import NotFound, StaleVersion, Unchanged
from .contacts import EmailTaken, create_contact, edit_contact
from .editing import add_line, edit_line, edit_order, remove_line
from .intake import create_order
from .pipelines import create_pipeline, delete_pipeline, edit_pipeline, ensure_default_pipeline
from .settings import set_settings

# The consumers' and the clock's use cases on the connection their caller opened (a consumer's
# with the event's inbox claim in it).
on_offer_opened = joined(intake.open_order_from_offer)
on_offer_updated = joined(catalog.follow_offer)
on_school_updated = joined(catalog.describe_school)
on_product_updated = joined(catalog.keep_product)
expire_unpaid = joined(expiry.expire_unpaid)
advance_windows = joined(expiry.advance_windows)
on_payment_succeeded = joined(payments.count_payment)
on_payment_refunded = joined(payments.count_refund)
on_payment_overdue = joined(payments.hold_access_for_overdue)
on_payment_cancelled = joined(payments.drop_cancelled_payment)
on_payment_failed = joined(payments.note_failed_payment)
on_payment_link_issued = joined(payments.note_payment_link)
on_notification_sent = joined(notifications.note_email_sent)
on_notification_failed = joined(notifications.note_email_failed)


def order_ref(value: str) -> UUID | int:
    """An order is found by its id or by its number."""
    if value.isdigit():
        return int(value)
    return UUID(value)


__all__ = [
    "SYSTEM", "Actor", "EmailTaken", "NotFound", "StaleVersion", "Unchanged", "add_line",
    "advance_windows", "create_contact", "create_order", "create_pipeline", "delete_pipeline", "edit_contact",
    "edit_line", "edit_order", "edit_pipeline", "ensure_default_pipeline", "expire_unpaid", "on_notification_failed",
    "on_notification_sent",
    "on_offer_opened", "on_offer_updated", "on_payment_cancelled", "on_payment_failed", "on_payment_link_issued",
    "on_payment_overdue", "on_payment_refunded", "on_payment_succeeded", "on_product_updated", "on_school_updated",
    "order_ref",
    "remove_line", "set_settings",
]
