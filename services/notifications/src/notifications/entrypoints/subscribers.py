"""Kafka subscribers of the notifications service: thin, no rules."""

from contracts import OrderCreated, PaymentLinkIssued, PaymentSucceeded, ReminderRequested
from faststream.kafka import KafkaBroker
from servicekit.messaging import consume
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service

SERVICE = "notifications"


def register(broker: KafkaBroker, engine: AsyncEngine, group: str) -> None:
    consume(broker, {
        OrderCreated: service.on_order_created,
        PaymentLinkIssued: service.on_payment_link_issued,
        PaymentSucceeded: service.on_payment_succeeded,
        ReminderRequested: service.on_reminder_requested,
    }, engine=engine, group_id=group, service=SERVICE)
