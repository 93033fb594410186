"""Kafka subscribers of the orders service: thin, no rules."""

from contracts import (
    NotificationFailed, NotificationSent, OfferOpened, OfferUpdated, PaymentCancelled, PaymentFailed,
    PaymentLinkIssued, PaymentOverdue, PaymentProvidersUpdated, PaymentRefunded, PaymentSucceeded, ProductUpdated,
    SchoolUpdated,
)
from faststream.kafka import KafkaBroker
from servicekit.messaging import ConsumerGroup, consume
from servicekit.providers import on_providers_updated
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service

SERVICE = "orders"


def register(broker: KafkaBroker, engine: AsyncEngine, group: ConsumerGroup) -> None:
    consume(broker, {
        OfferOpened: service.on_offer_opened,
        OfferUpdated: service.on_offer_updated,
        SchoolUpdated: service.on_school_updated,
        ProductUpdated: service.on_product_updated,
        PaymentProvidersUpdated: on_providers_updated,
        PaymentSucceeded: service.on_payment_succeeded,
        PaymentFailed: service.on_payment_failed,
        PaymentOverdue: service.on_payment_overdue,
        PaymentCancelled: service.on_payment_cancelled,
        PaymentRefunded: service.on_payment_refunded,
        PaymentLinkIssued: service.on_payment_link_issued,
        NotificationSent: service.on_notification_sent,
        NotificationFailed: service.on_notification_failed,
    }, engine=engine, group=group, service=SERVICE)
