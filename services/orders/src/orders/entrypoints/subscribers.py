"""Kafka subscribers of the orders service: thin, no rules."""

from contracts import OfferOpened, PaymentSucceeded
from faststream.kafka import KafkaBroker
from servicekit.messaging import subscribe
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service

GROUP = "orders"


def register(broker: KafkaBroker, engine: AsyncEngine) -> None:
    subscribe(broker, OfferOpened, service.on_offer_opened, engine=engine, group_id=GROUP, service=GROUP)
    subscribe(broker, PaymentSucceeded, service.on_payment_succeeded, engine=engine, group_id=GROUP, service=GROUP)
