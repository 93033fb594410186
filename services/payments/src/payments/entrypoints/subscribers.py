"""Kafka subscribers of the payments service: thin, no rules."""

from contracts import OrderCreated, OrderUpdated
from faststream.kafka import KafkaBroker
from servicekit.messaging import ConsumerGroup, consume
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .. import service
from ..service import Providers

SERVICE = "payments"


def register(broker: KafkaBroker, engine: AsyncEngine, group: ConsumerGroup, *, providers: Providers) -> None:
    async def on_order_created(conn: AsyncConnection, event: OrderCreated) -> None:
        await service.create_order_payments(conn, event, providers)

    async def on_order_updated(conn: AsyncConnection, event: OrderUpdated) -> None:
        await service.apply_order_update(conn, event)

    consume(
        broker, {OrderCreated: on_order_created, OrderUpdated: on_order_updated},
        engine=engine, group=group, service=SERVICE,
    )
