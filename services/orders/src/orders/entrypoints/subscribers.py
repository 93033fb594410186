"""Kafka subscribers of the orders service: thin, no rules."""

from contracts import OfferOpened, PaymentSucceeded
from faststream.kafka import KafkaBroker
from servicekit.messaging import consume
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service

SERVICE = "orders"


def register(broker: KafkaBroker, engine: AsyncEngine, group: str) -> None:
    consume(broker, {
        OfferOpened: service.on_offer_opened,
        PaymentSucceeded: service.on_payment_succeeded,
    }, engine=engine, group_id=group, service=SERVICE)
