"""Which email an event calls for, and what it may say. No wording here: that is the templates'."""

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlsplit
from uuid import UUID

from contracts import PaymentLinkIssued, PaymentSucceeded, ReminderRequested

from .recipient import OrderRecipient

TemplateName = Literal["payment_link", "receipt", "reminder"]

# Locales the templates are translated into; a contact in any other language gets the default.
SUPPORTED_LOCALES: tuple[str, ...] = ("en",)
DEFAULT_LOCALE = "en"


class LetterRefused(ValueError):
    """The event can never become an email (it contradicts what we know of the order)."""


def choose_locale(wanted: str | None, supported: tuple[str, ...] = SUPPORTED_LOCALES) -> str:
    """The closest supported locale: exact ("pt_BR"), then the language ("pt"), then the default."""
    if not wanted:
        return DEFAULT_LOCALE
    tag = wanted.strip().replace("-", "_")
    language = tag.split("_", 1)[0].lower()
    for candidate in (tag, language):
        if candidate in supported:
            return candidate
    return DEFAULT_LOCALE


@dataclass(frozen=True)
class Letter:
    """One email to one contact, before it is put into words: every value a template may use."""

    template: TemplateName
    event_id: UUID
    account_id: UUID
    order_id: UUID
    to: str
    locale: str
    school_name: str
    contact_name: str
    order_number: int
    products: tuple[str, ...]
    amount: Decimal
    currency: str
    total: Decimal
    url: str | None = None
    due_at: datetime | None = None
    paid_at: datetime | None = None
    overdue: bool = False

    def template_values(self) -> dict[str, Any]:
        hidden = {"event_id", "account_id", "order_id", "template"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in hidden}


def _check(order: OrderRecipient, account_id: UUID, currency: str) -> None:
    if order.account_id != account_id:
        raise LetterRefused(f"order {order.order_id} belongs to another account")
    if currency != order.currency:
        raise LetterRefused(f"a {currency} amount for an order in {order.currency}")


def _link(url: str) -> str:
    # The link becomes a clickable href: nothing but a web address may get there.
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LetterRefused(f"{url!r} is not a web address")
    return url


def _letter(order: OrderRecipient, template: TemplateName, event_id: UUID, **values: Any) -> Letter:
    return Letter(
        template=template,
        event_id=event_id,
        account_id=order.account_id,
        order_id=order.order_id,
        to=order.contact_email,
        locale=choose_locale(order.locale),
        school_name=order.school_name,
        contact_name=order.contact_name,
        order_number=order.order_number,
        products=order.products,
        total=order.total,
        **values,
    )


def payment_link(order: OrderRecipient, event: PaymentLinkIssued) -> Letter | None:
    """The "payment added" email with its link, unless the sender asked for no email."""
    if not event.send_email:
        return None
    _check(order, event.account_id, event.currency)
    return _letter(
        order, "payment_link", event.event_id,
        amount=event.amount, currency=event.currency, url=_link(event.url), due_at=event.due_at,
    )


def receipt(order: OrderRecipient, event: PaymentSucceeded) -> Letter:
    _check(order, event.account_id, event.currency)
    return _letter(order, "receipt", event.event_id, amount=event.amount, currency=event.currency, paid_at=event.paid_at)


def reminder(order: OrderRecipient, event: ReminderRequested) -> Letter:
    _check(order, event.account_id, event.currency)
    overdue = event.due_at is not None and event.due_at < event.occurred_at
    return _letter(
        order, "reminder", event.event_id,
        amount=event.amount, currency=event.currency, url=_link(event.url), due_at=event.due_at, overdue=overdue,
    )
