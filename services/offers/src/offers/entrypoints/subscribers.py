"""Kafka subscribers of the offers service: thin, no rules."""

from contracts import OrderCreated, PaymentLinkIssued
from faststream.kafka import KafkaBroker
from servicekit.messaging import subscribe
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service

SERVICE = "offers"


def register(broker: KafkaBroker, engine: AsyncEngine, group: str) -> None:
    subscribe(broker, OrderCreated, service.on_order_created, engine=engine, group_id=group, service=SERVICE)
    subscribe(broker, PaymentLinkIssued, service.on_payment_link_issued, engine=engine, group_id=group, service=SERVICE)
