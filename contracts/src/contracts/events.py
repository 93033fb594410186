"""The events that cross service boundaries. Additive changes only."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from .access import AccessTerms
from .catalog import CourseDefaultsOutline, ModuleOutline
from .emails import EmailAddress
from .envelope import Event
from .money import Amount, CurrencyCode
from .names import Locale, ProviderName

PaymentType = Literal["regular", "prepayment", "surcharge"]
PaymentMethod = Literal["cashless", "cash", "bank_transfer", "other"]
# Where a visitor opened an offer: its page, or the widget a school embeds in its own site.
CheckoutSource = Literal["page", "widget"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ContactData(_Part):
    name: str = Field(min_length=1, max_length=200)
    email: EmailAddress
    phone: str | None = None  # E.164
    locale: Locale | None = None


class OfferLine(_Part):
    product_id: UUID
    product_title: str
    price: Amount
    access: AccessTerms = AccessTerms()


class PlannedPayment(_Part):
    type: PaymentType = "regular"
    amount: Amount
    due_at: AwareDatetime | None = None  # None: due at once
    closes_access: bool = False
    method: PaymentMethod = "cashless"
    paid_at: AwareDatetime | None = None  # set: already paid (a manual order's cash payment, say)
    comment: str | None = Field(default=None, max_length=2_000)


class OrderLine(_Part):
    line_id: UUID
    product_id: UUID
    product_title: str
    price: Amount
    offer_id: UUID | None = None  # the applied offer (or its system copy)
    access: AccessTerms = AccessTerms()


class OfferOpened(Event):
    """A visitor opened an offer: the offer as it was at that moment, and who opened it."""

    event_type: Literal["OfferOpened"] = "OfferOpened"
    checkout_id: UUID
    offer_id: UUID
    offer_version: int
    offer_title: str
    school_name: str
    currency: CurrencyCode
    lines: list[OfferLine]
    discount: Amount
    total: Amount
    payment_plan: list[PlannedPayment]
    provider: ProviderName
    contact: ContactData
    source: CheckoutSource = "page"
    school_locale: Locale | None = None

    partition_by = ("checkout_id",)


# Where an order came from: an offer's page, its widget on the school's site, or a manager's hand.
OrderSource = Literal["page", "widget", "manual"]


class OrderCreated(Event):
    """A new order exists; carries what payments and notifications need to act on it."""

    event_type: Literal["OrderCreated"] = "OrderCreated"
    order_id: UUID
    order_number: int
    checkout_id: UUID | None = None
    offer_id: UUID | None = None
    school_name: str
    contact_id: UUID
    contact: ContactData
    currency: CurrencyCode
    lines: list[OrderLine]
    discount: Amount
    total: Amount
    payment_plan: list[PlannedPayment]
    provider: ProviderName
    send_payment_link: bool = True
    school_locale: Locale | None = None
    source: OrderSource = "page"
    send_confirmation: bool = False  # a manual order whose manager asked for a confirmation email

    partition_by = ("order_id",)

    def emails_a_link(self) -> bool:
        """Payments will issue a link for the first open cashless payment and email it: the
        confirmation waits for that link and carries it instead of a second email."""
        return self.send_payment_link and any(p.paid_at is None and p.method == "cashless" for p in self.payment_plan)


class PaymentLinkIssued(Event):
    """An unpaid payment has a link the contact can pay through."""

    event_type: Literal["PaymentLinkIssued"] = "PaymentLinkIssued"
    order_id: UUID
    payment_id: UUID
    checkout_id: UUID | None = None
    amount: Amount
    currency: CurrencyCode
    provider: ProviderName
    url: str
    expires_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    send_email: bool = True

    partition_by = ("order_id",)


class PaymentSucceeded(Event):
    """Money arrived for one payment of an order. Emitted once per payment."""

    event_type: Literal["PaymentSucceeded"] = "PaymentSucceeded"
    order_id: UUID
    payment_id: UUID
    amount: Amount
    currency: CurrencyCode
    provider: ProviderName | None = None
    provider_reference: str | None = None
    method: PaymentMethod = "cashless"
    paid_at: datetime
    marked_by: str | None = None  # the team member who marked it paid by hand; None: the provider said so

    partition_by = ("order_id",)


class ReminderRequested(Event):
    """Someone (a manager, or the schedule) asked to remind the contact to pay."""

    event_type: Literal["ReminderRequested"] = "ReminderRequested"
    order_id: UUID
    payment_id: UUID
    amount: Amount
    currency: CurrencyCode
    url: str
    due_at: AwareDatetime | None = None
    reason: Literal["manual", "scheduled"] = "manual"

    partition_by = ("order_id",)


class SchoolUpdated(Event):
    """A school's profile changed: services that name the school or speak its language keep a copy."""

    event_type: Literal["SchoolUpdated"] = "SchoolUpdated"
    name: str
    default_locale: Locale
    # An IANA zone ("Europe/Kyiv") for the dates and times the school's contacts read; None:
    # the deployment's default.
    time_zone: str | None = Field(default=None, max_length=64)
    # Where the school's contacts' replies go; None: nowhere but the platform's sender.
    reply_to: EmailAddress | None = None

    partition_by = ("account_id",)


class PaymentProvidersUpdated(Event):
    """The providers a school can be paid through changed: those it has credentials for.

    The whole set each time, so a consumer keeps the latest and needs no history. The sandbox is
    never listed: it needs no credentials, and each deployment decides whether it is on.
    """

    event_type: Literal["PaymentProvidersUpdated"] = "PaymentProvidersUpdated"
    providers: list[ProviderName] = Field(max_length=20)

    partition_by = ("account_id",)


OrderStatus = Literal["active", "cancelled", "expired"]
AccessStatus = Literal["scheduled", "open", "suspended", "ended", "revoked"]


class OfferUpdated(Event):
    """An offer changed (a new version); orders move non-customised lines to the new terms."""

    event_type: Literal["OfferUpdated"] = "OfferUpdated"
    offer_id: UUID
    offer_version: int
    offer_title: str
    currency: CurrencyCode
    lines: list[OfferLine]
    archived: bool = False
    is_system_copy: bool = False
    source_offer_id: UUID | None = None

    partition_by = ("offer_id",)


class OfferCopyLine(_Part):
    product_id: UUID
    price: Amount
    access: AccessTerms


class ProductUpdated(Event):
    """A product was created or changed: its title and course structure, for the services that
    check what an order sells (orders keeps a copy of each school's catalog)."""

    event_type: Literal["ProductUpdated"] = "ProductUpdated"
    product_id: UUID
    title: str = Field(max_length=300)
    kind: str = Field(max_length=50)
    modules: list[ModuleOutline] = Field(default=[], max_length=500)
    # None: announced before the defaults were part of the event (the product is announced again).
    defaults: CourseDefaultsOutline | None = None

    partition_by = ("product_id",)


class OfferCopyRequested(Event):
    """Orders customised an order line: offers makes "<offer> (Copy system)" under the given id."""

    event_type: Literal["OfferCopyRequested"] = "OfferCopyRequested"
    copy_id: UUID  # chosen by orders, so the line points at it at once and a redelivery copies once
    source_offer_id: UUID
    order_id: UUID
    order_number: int
    lines: list[OfferCopyLine]

    partition_by = ("order_id",)


class OrderUpdated(Event):
    """An order changed: its contact, lines, totals or status. Carries the order as it now is."""

    event_type: Literal["OrderUpdated"] = "OrderUpdated"
    order_id: UUID
    order_number: int
    order_version: int
    status: OrderStatus = "active"
    contact_id: UUID
    contact: ContactData
    currency: CurrencyCode
    lines: list[OrderLine]
    discount: Amount
    total: Amount
    changed: list[str] = []  # the card's fields that changed, for consumers that care about some

    partition_by = ("order_id",)


class AccessChanged(Event):
    """A contact's access to a product of an order opened, moved, was suspended or ended."""

    event_type: Literal["AccessChanged"] = "AccessChanged"
    order_id: UUID
    line_id: UUID
    product_id: UUID
    product_title: str
    contact_id: UUID
    status: AccessStatus
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None  # None: never ends
    reason: Literal["paid", "terms_changed", "overdue", "resumed", "cancelled", "expired", "refunded"]
    terms: AccessTerms = AccessTerms()
    # While suspended for an overdue payment: which one, so the contact can be told what to pay.
    overdue_payment_id: UUID | None = None
    overdue_amount: Amount | None = None
    currency: CurrencyCode | None = None

    partition_by = ("order_id",)


class PaymentFailed(Event):
    """A provider declined an attempt to pay. The payment stays unpaid and can be tried again."""

    event_type: Literal["PaymentFailed"] = "PaymentFailed"
    order_id: UUID
    payment_id: UUID
    amount: Amount
    currency: CurrencyCode
    provider: ProviderName
    attempt: int = Field(ge=1)
    reason: str = Field(max_length=500)  # the provider's reason, never card data
    failed_at: AwareDatetime

    partition_by = ("order_id",)


class PaymentOverdue(Event):
    """A payment passed its planned date unpaid. With closes_access, the order suspends access."""

    event_type: Literal["PaymentOverdue"] = "PaymentOverdue"
    order_id: UUID
    payment_id: UUID
    amount: Amount
    currency: CurrencyCode
    due_at: AwareDatetime
    closes_access: bool

    partition_by = ("order_id",)


class PaymentCancelled(Event):
    """An unpaid payment was cancelled: it is no longer owed, and no longer holds access closed."""

    event_type: Literal["PaymentCancelled"] = "PaymentCancelled"
    order_id: UUID
    payment_id: UUID
    amount: Amount
    currency: CurrencyCode

    partition_by = ("order_id",)


class PaymentRefunded(Event):
    """Money of a paid payment went back to the payer (in full or in part)."""

    event_type: Literal["PaymentRefunded"] = "PaymentRefunded"
    order_id: UUID
    payment_id: UUID
    amount: Amount  # refunded now, not the payment's amount
    currency: CurrencyCode
    provider_reference: str | None = None
    refunded_at: AwareDatetime

    partition_by = ("order_id",)


NotificationTemplate = Literal[
    "payment_link", "reminder", "receipt", "access_opened", "access_suspended", "order_confirmation",
]


class NotificationSent(Event):
    """An email about an order was accepted by the mail server."""

    event_type: Literal["NotificationSent"] = "NotificationSent"
    delivery_id: UUID
    order_id: UUID | None = None
    template: NotificationTemplate
    recipient: EmailAddress
    locale: Locale
    subject: str
    attempts: int = Field(ge=1)
    sent_at: AwareDatetime

    partition_by = ("order_id", "delivery_id")


class NotificationFailed(Event):
    """An email about an order could not be delivered and will not be retried."""

    event_type: Literal["NotificationFailed"] = "NotificationFailed"
    delivery_id: UUID
    order_id: UUID | None = None
    template: NotificationTemplate
    recipient: EmailAddress
    attempts: int = Field(ge=1)
    error: str = Field(max_length=1_000)
    failed_at: AwareDatetime

    partition_by = ("order_id", "delivery_id")


ALL_EVENTS: tuple[type[Event], ...] = (
    OfferOpened,
    OrderCreated,
    PaymentLinkIssued,
    PaymentSucceeded,
    ReminderRequested,
    OfferUpdated,
    OfferCopyRequested,
    OrderUpdated,
    AccessChanged,
    PaymentFailed,
    PaymentOverdue,
    PaymentCancelled,
    PaymentRefunded,
    NotificationSent,
    NotificationFailed,
    SchoolUpdated,
    PaymentProvidersUpdated,
    ProductUpdated,
)
