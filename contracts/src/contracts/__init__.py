"""The published language of the orders CRM: events, topics, money and names on the wire."""

from .access import AccessEnd, AccessStart, AccessTerms, LessonDelay, Period
from .catalog import CourseDefaultsOutline, LessonOutline, ModuleOutline, access_problems
from .emails import EmailAddress
from .envelope import Event, utcnow
from .events import (
    ALL_EVENTS,
    AccessChanged,
    AccessStatus,
    ContactData,
    NotificationFailed,
    NotificationSent,
    NotificationTemplate,
    OfferCopyLine,
    OfferCopyRequested,
    OfferLine,
    OfferOpened,
    OfferUpdated,
    OrderCreated,
    OrderLine,
    OrderSource,
    OrderStatus,
    OrderUpdated,
    PaymentCancelled,
    PaymentFailed,
    PaymentLinkIssued,
    PaymentMethod,
    PaymentOverdue,
    PaymentProvidersUpdated,
    PaymentRefunded,
    PaymentSucceeded,
    PaymentType,
    PlannedPayment,
    ProductUpdated,
    ReminderRequested,
    SchoolUpdated,
)
from .money import (
    CURRENCY_EXPONENTS, MAX_AMOUNT, Amount, CurrencyCode, DiscountKind, Money, check_currency, check_magnitude, check_scale, quantize,
)
from .names import Locale, ProviderName, language_of
from .topics import ALL_TOPICS, dlq_topic, topic_of
from .zones import zone_named

__all__ = [
    "ALL_EVENTS", "ALL_TOPICS", "CURRENCY_EXPONENTS", "MAX_AMOUNT", "AccessChanged", "AccessEnd", "AccessStart",
    "CourseDefaultsOutline", "LessonOutline", "ModuleOutline", "access_problems",
    "AccessStatus", "AccessTerms", "Amount", "ContactData", "CurrencyCode", "DiscountKind", "Event", "LessonDelay", "Money",
    "NotificationFailed", "NotificationSent", "NotificationTemplate", "OfferCopyLine", "OfferCopyRequested",
    "OfferLine", "OfferOpened", "OfferUpdated", "OrderCreated", "OrderLine", "OrderSource", "OrderStatus",
    "OrderUpdated",
    "PaymentCancelled", "PaymentFailed", "PaymentLinkIssued", "PaymentMethod", "PaymentOverdue",
    "PaymentProvidersUpdated", "PaymentRefunded", "PaymentSucceeded", "PaymentType", "Period", "PlannedPayment",
    "ProductUpdated", "ReminderRequested", "SchoolUpdated", "Locale", "ProviderName", "language_of", "EmailAddress",
    "check_currency", "check_magnitude", "check_scale", "dlq_topic", "quantize", "topic_of", "utcnow",
    "zone_named",
]
