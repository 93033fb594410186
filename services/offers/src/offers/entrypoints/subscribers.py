"""Kafka subscribers of the offers service: thin, no rules."""

from contracts import OrderCreated, PaymentLinkIssued
from faststream.kafka import KafkaBroker
from servicekit.messaging import consume
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service

SERVICE = "offers"


def register(broker: KafkaBroker, engine: AsyncEngine, group: str) -> None:
    consume(broker, {
        OrderCreated: service.on_order_created,
        PaymentLinkIssued: service.on_payment_link_issued,
    }, engine=engine, group_id=group, service=SERVICE)
