"""Facts from notifications: what was sent to the order's contact, and what could not be; each entry
names its delivery, so the card opens that email and sends it again."""

from contracts import NotificationFailed, NotificationSent
from servicekit.errors import Rejected

from ..domain.actor import SYSTEM
from .unit_of_work import UnitOfWork


async def note_email_sent(uow: UnitOfWork, event: NotificationSent) -> None:
    if event.order_id is None:
        return
    if not await uow.orders.note(event.account_id, event.order_id, SYSTEM, "email_sent", {
        "delivery_id": event.delivery_id, "template": event.template, "recipient": event.recipient, "subject": event.subject,
        "attempts": event.attempts}):
        raise Rejected(f"no order {event.order_id} in account {event.account_id}")


async def note_email_failed(uow: UnitOfWork, event: NotificationFailed) -> None:
    if event.order_id is None:
        return
    if not await uow.orders.note(event.account_id, event.order_id, SYSTEM, "email_failed", {
        "delivery_id": event.delivery_id, "template": event.template, "recipient": event.recipient, "error": event.error,
        "attempts": event.attempts}):
        raise Rejected(f"no order {event.order_id} in account {event.account_id}")
