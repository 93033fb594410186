"""Use cases of the payments service: one per command or message, each on a unit of work (unit_of_work.py)."""

from .credentials import announce_all, change_credentials, set_credentials
from .crm import (
    NewPayment, OrderClosed, OrderNotFound, add_payment, edit_payment, mark_paid, remind, send_link,
)
from .links import Providers, complete_link, issue_pending_links, request_link
from .orders import apply_order_update, create_order_payments, find_order
from .provider_events import apply_report, confirm_payment, decline_payment, expire_link, refund_payment
from .schedule import mark_overdue, plan_reminders, send_due_reminders, set_reminder_schedule
from .unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "NewPayment", "OrderClosed", "OrderNotFound", "Providers", "UnitOfWork", "UnitOfWorkFactory", "add_payment",
    "announce_all", "apply_order_update", "apply_report", "change_credentials", "complete_link", "confirm_payment",
    "create_order_payments", "decline_payment", "edit_payment", "expire_link", "find_order", "issue_pending_links",
    "mark_overdue", "mark_paid", "plan_reminders", "refund_payment", "remind", "request_link", "send_due_reminders",
    "send_link", "set_credentials", "set_reminder_schedule",
]
