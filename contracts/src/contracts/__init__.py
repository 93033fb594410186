"""The published language of the orders CRM: events, topics and money on the wire."""

from .envelope import Event, utcnow
from .events import (
    ALL_EVENTS,
    ContactData,
    OfferLine,
    OfferOpened,
    OrderCreated,
    OrderLine,
    PaymentLinkIssued,
    PaymentSucceeded,
    PlannedPayment,
    ReminderRequested,
)
from .money import CURRENCY_EXPONENTS, Amount, CurrencyCode, Money, check_currency, check_scale, quantize
from .topics import ALL_TOPICS, dlq_topic, topic_of

__all__ = [
    "ALL_EVENTS", "ALL_TOPICS", "CURRENCY_EXPONENTS", "Amount", "ContactData", "CurrencyCode", "Event",
    "Money", "OfferLine", "OfferOpened", "OrderCreated", "OrderLine", "PaymentLinkIssued",
    "PaymentSucceeded", "PlannedPayment", "ReminderRequested", "check_currency", "check_scale",
    "dlq_topic", "quantize", "topic_of", "utcnow",
]
