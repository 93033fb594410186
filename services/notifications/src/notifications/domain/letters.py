"""Which email an event calls for, and what it may say. No wording here: that is the templates'."""

from dataclasses import dataclass, fields
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Annotated, Any, get_args
from urllib.parse import urlsplit
from uuid import UUID

from contracts import (
    AccessChanged, Locale, NotificationTemplate, OrderCreated, PaymentLinkIssued, PaymentSucceeded, ReminderRequested,
)
from pydantic import AfterValidator

from .recipient import OrderRecipient
from .zones import zone_named

# The emails there are: the contracts' set, which NotificationSent and NotificationFailed carry too.
TemplateName = NotificationTemplate
TEMPLATES: tuple[str, ...] = get_args(TemplateName)

# Locales the templates are translated into; a contact in any other language gets the school's, then the default.
# A subset of the languages there are (contracts.Locale, the one type every service, API and event uses).
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "uk", "ru", "pl", "de", "it", "fr")


def written_in(language: str) -> str:
    """The language, if the templates are written in it; ValueError if they are not."""
    if language not in SUPPORTED_LOCALES:
        raise ValueError(f"the templates are not written in '{language}': only in {', '.join(SUPPORTED_LOCALES)}")
    return language


# A language the templates are written in: the one language type (any tag, kept as its language),
# narrowed to SUPPORTED_LOCALES.
TemplateLocale = Annotated[Locale, AfterValidator(written_in)]
DEFAULT_LOCALE = "en"


class LetterRefused(ValueError):
    """The event can never become an email (it contradicts what we know of the order)."""


def choose_locale(*wanted: str | None, supported: tuple[str, ...] = SUPPORTED_LOCALES) -> str:
    """The first wish that is translated: its exact tag ("pt_BR"), else its language ("pt"); else the default."""
    lowered = {s.lower(): s for s in supported}
    for wish in wanted:
        if not wish:
            continue
        tag = wish.strip().replace("-", "_")
        for candidate in (tag, tag.split("_", 1)[0]):
            if candidate.lower() in lowered:
                return lowered[candidate.lower()]
    return DEFAULT_LOCALE


@dataclass(frozen=True)
class Line:
    title: str
    price: Decimal


@dataclass(frozen=True)
class Installment:
    """One planned payment as the contact may see it: no method, no comment."""

    amount: Decimal
    due_at: datetime | None
    paid_at: datetime | None


@dataclass(frozen=True)
class Letter:
    """One email to one contact, before it is put into words: every value a template may use."""

    template: TemplateName
    event_id: UUID
    account_id: UUID
    order_id: UUID
    correlation_id: UUID
    contact_id: UUID | None
    to: str
    locale: str
    school_name: str
    contact_name: str
    order_number: int
    products: tuple[str, ...]
    currency: str
    total: Decimal
    amount: Decimal | None = None
    url: str | None = None
    due_at: datetime | None = None
    # Whole days from the event to the due date; None when there is no date or it has passed.
    days_left: int | None = None
    paid_at: datetime | None = None
    overdue: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    lines: tuple[Line, ...] = ()
    installments: tuple[Installment, ...] = ()
    # The IANA zone its dates and times are shown in (the school's, else the deployment's).
    time_zone: str = "UTC"
    # Where the contact's reply goes: the school's address, if it gave one.
    reply_to: str | None = None

    def template_values(self) -> dict[str, Any]:
        """The values its template may use: those its kind of email has, no others."""
        return {name: getattr(self, name) for name in TEMPLATE_VARIABLES[self.template]}


@dataclass(frozen=True)
class Override:
    """A school's own wording of one template in one locale: subject, HTML and plain-text bodies."""

    subject: str
    html: str
    text: str


HIDDEN = frozenset({"event_id", "account_id", "order_id", "correlation_id", "contact_id", "template", "time_zone",
                    "reply_to"})
# What every email knows of its order, and what each template adds: the values its builder
# below sets. A school's override may use these and no others; its preview and the check at save
# use the same, so a value an email never gets ("{{ url }}" in a receipt) is refused when saved.
COMMON_VARIABLES: tuple[str, ...] = (
    "to", "locale", "school_name", "contact_name", "order_number", "products", "currency", "total",
)
_ACCESS = ("starts_at", "ends_at", "overdue")
TEMPLATE_VARIABLES: dict[str, tuple[str, ...]] = {
    "payment_link": (*COMMON_VARIABLES, "amount", "url", "due_at", "days_left"),
    "reminder": (*COMMON_VARIABLES, "amount", "url", "due_at", "days_left", "overdue"),
    "receipt": (*COMMON_VARIABLES, "amount", "paid_at"),
    "access_opened": (*COMMON_VARIABLES, *_ACCESS),
    "access_suspended": (*COMMON_VARIABLES, *_ACCESS, "amount", "url"),
    "order_confirmation": (*COMMON_VARIABLES, "lines", "installments", "amount", "url"),
}
ALL_VARIABLES: frozenset[str] = frozenset(f.name for f in fields(Letter) if f.name not in HIDDEN)


def _check(order: OrderRecipient, account_id: UUID, currency: str | None = None) -> None:
    if order.account_id != account_id:
        raise LetterRefused(f"order {order.order_id} belongs to another account")
    if currency is not None and currency != order.currency:
        raise LetterRefused(f"a {currency} amount for an order in {order.currency}")


def is_web_address(url: str) -> bool:
    # A link becomes a clickable href: nothing but a web address may get there.
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _link(url: str) -> str:
    if not is_web_address(url):
        raise LetterRefused(f"{url!r} is not a web address")
    return url


def _days_left(due_at: datetime | None, now: datetime, zone: tzinfo) -> int | None:
    """Calendar days as the contact counts them, in the school's zone."""
    if due_at is None or due_at < now:
        return None
    return (due_at.astimezone(zone).date() - now.astimezone(zone).date()).days


def _letter(
    order: OrderRecipient, template: TemplateName, event: Any, **values: Any
) -> Letter:
    return Letter(
        template=template,
        event_id=event.event_id,
        account_id=order.account_id,
        order_id=order.order_id,
        correlation_id=event.correlation_id,
        contact_id=order.contact_id,
        to=order.contact_email,
        locale=choose_locale(order.locale, order.school_locale),
        school_name=order.school_name,
        contact_name=order.contact_name,
        order_number=order.order_number,
        currency=order.currency,
        total=order.total,
        time_zone=zone_named(order.time_zone).key,
        reply_to=order.reply_to,
        **({"products": order.products} | values),
    )


def payment_link(order: OrderRecipient, event: PaymentLinkIssued) -> Letter | None:
    """The "payment added" email with its link, unless the sender asked for no email."""
    if not event.send_email:
        return None
    _check(order, event.account_id, event.currency)
    return _letter(
        order, "payment_link", event,
        amount=event.amount, url=_link(event.url), due_at=event.due_at,
        days_left=_days_left(event.due_at, event.occurred_at, zone_named(order.time_zone)),
    )


def receipt(order: OrderRecipient, event: PaymentSucceeded) -> Letter:
    _check(order, event.account_id, event.currency)
    return _letter(order, "receipt", event, amount=event.amount, paid_at=event.paid_at)


def reminder(order: OrderRecipient, event: ReminderRequested) -> Letter:
    _check(order, event.account_id, event.currency)
    overdue = event.due_at is not None and event.due_at < event.occurred_at
    return _letter(
        order, "reminder", event,
        amount=event.amount, url=_link(event.url), due_at=event.due_at, overdue=overdue,
        days_left=_days_left(event.due_at, event.occurred_at, zone_named(order.time_zone)),
    )


def access_change(
    order: OrderRecipient, event: AccessChanged, previous: str | None, link: str | None = None
) -> Letter | None:
    """An email when access to a product becomes open or suspended; nothing when it only moves.

    A suspension for an overdue payment names the amount when the event carries it, and
    offers `link` (the latest one known for that payment) to pay it.
    """
    _check(order, event.account_id)
    if event.status == previous:
        return None  # new dates or terms, same state: the contact was told already
    owed: dict[str, Any] = {}
    if event.status == "open":
        template: TemplateName = "access_opened"
    elif event.status == "suspended":
        template = "access_suspended"
        if event.overdue_amount is not None:
            # An amount without its currency is in the order's, as every payment of it is.
            _check(order, event.account_id, event.currency or order.currency)
            owed["amount"] = event.overdue_amount
            if link is not None:
                owed["url"] = _link(link)
    else:
        return None
    return _letter(
        order, template, event,
        products=(event.product_title,), starts_at=event.starts_at, ends_at=event.ends_at,
        overdue=event.reason == "overdue", **owed,
    )


def order_confirmation(
    order: OrderRecipient, event: OrderCreated, link: PaymentLinkIssued | None = None
) -> Letter | None:
    """A manual order's confirmation, when its manager asked for one; with the first payment's
    link when one is emailed (then it is that email: the contact gets one, not two)."""
    if not event.send_confirmation:
        return None
    _check(order, event.account_id)
    if link is not None:
        _check(order, link.account_id, link.currency)
    unpaid = [p for p in event.payment_plan if p.paid_at is None]
    return _letter(
        order, "order_confirmation", event,
        lines=tuple(Line(line.product_title, line.price) for line in event.lines),
        installments=tuple(Installment(p.amount, p.due_at, p.paid_at) for p in event.payment_plan),
        amount=sum((p.amount for p in unpaid), Decimal(0)) if unpaid else None,
        url=_link(link.url) if link is not None else None,
    )


# A school's own wordings, by (template, locale).
Overrides = dict[tuple[str, str], Override]
